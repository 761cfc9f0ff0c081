#!/usr/bin/env bash
# Installs and runs, on loopback only, what the distributed mode and its tests need on a machine without containers:
# Debian's rabbitmq-server, npm's s3rver (an S3 endpoint), patched for two bugs of s3rver that break the Minio client,
# and Debian's PostgreSQL (the registry's multi-replica database), as a private cluster run by the postgres user.
#   scripts/infra.sh install   install both (apt, npm) into the machine / .infra/
#   scripts/infra.sh start     start both; prints the connection strings to use
#   scripts/infra.sh stop      stop both, by PID
#   scripts/infra.sh env       print export lines for the connection strings
#   scripts/infra.sh test-env  the same, under the names the tests read (MLOPS_TEST_MESSAGING, MLOPS_TEST_MESSAGING_ISOLATED,
#                              MLOPS_TEST_ARTIFACTS, MLOPS_TEST_POSTGRES)
# Ports: RabbitMQ 25672 (AMQP), S3 24568, PostgreSQL 25432. Everything lives under .infra/ in the repository
# (PostgreSQL's data under /tmp/mlops-postgres-25432: its server refuses to run as root and needs a folder it owns).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
infra="$root/.infra"
amqp_port="${MLOPS_AMQP_PORT:-25672}"
dist_port="${MLOPS_RABBIT_DIST_PORT:-25673}"
s3_port="${MLOPS_S3_PORT:-24568}"
node_name="mlops@localhost"
rabbit="$infra/rabbitmq"
s3="$infra/s3rver"
pg_port="${MLOPS_PG_PORT:-25432}"
pg="/tmp/mlops-postgres-$pg_port"
pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }

# The scripts themselves: /usr/sbin's wrappers switch to the rabbitmq user, whose Erlang cookie is not this node's.
sbin() { dirname "$(ls /usr/lib/rabbitmq/lib/rabbitmq_server-*/sbin/rabbitmq-server | head -n1)"; }

connection_strings() {
  echo "export ConnectionStrings__messaging=amqp://guest:guest@127.0.0.1:$amqp_port"
  echo "export ConnectionStrings__artifacts='Endpoint=http://127.0.0.1:$s3_port;AccessKey=S3RVER;SecretKey=S3RVER;Bucket=mlops'"
  echo "export ConnectionStrings__registry='Host=127.0.0.1;Port=$pg_port;Username=mlops;Database=postgres'"
}

install() {
  if ! ls /usr/lib/rabbitmq/lib/rabbitmq_server-*/sbin/rabbitmq-server >/dev/null 2>&1; then
    echo "installing rabbitmq-server (apt)…"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
  fi
  if [ -z "$(pgbin)" ]; then
    echo "installing postgresql (apt)…"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  if [ ! -f "$s3/node_modules/s3rver/package.json" ]; then
    echo "installing s3rver 3.7.1 (npm)…"
    mkdir -p "$s3"
    (cd "$s3" && [ -f package.json ] || npm init -y >/dev/null; cd "$s3" && npm install --no-audit --no-fund --silent s3rver@3.7.1)
  fi
  # s3rver answers ListObjects in a wrong XML namespace (Minio then sees no objects) and decodes x-amz-copy-source with
  # decodeURI instead of decodeURIComponent (copying a key with '/' fails). Both are s3rver bugs, not S3 behaviour.
  local lib="$s3/node_modules/s3rver/lib"
  sed -i 's#http://doc.s3.amazonaws.com/2006-03-01/#http://s3.amazonaws.com/doc/2006-03-01/#g' "$lib"/controllers/*.js
  sed -i "s#decodeURI(ctx.headers\['x-amz-copy-source'\])#decodeURIComponent(ctx.headers['x-amz-copy-source'])#" "$lib/controllers/object.js"
  grep -q "decodeURIComponent(ctx.headers\['x-amz-copy-source'\])" "$lib/controllers/object.js" || { echo "could not patch s3rver" >&2; exit 1; }
}

start() {
  install
  mkdir -p "$rabbit"/{mnesia,log} "$s3/data"
  if [ ! -f "$rabbit/pid" ] || ! kill -0 "$(cat "$rabbit/pid" 2>/dev/null)" 2>/dev/null; then
    echo "loopback_users = none" > "$rabbit/rabbitmq.conf"
    echo "[]." > "$rabbit/enabled_plugins"
    local server
    server="$(sbin)/rabbitmq-server"
    HOME="$rabbit" RABBITMQ_NODENAME="$node_name" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$amqp_port" \
      RABBITMQ_DIST_PORT="$dist_port" RABBITMQ_MNESIA_BASE="$rabbit/mnesia" RABBITMQ_LOG_BASE="$rabbit/log" \
      RABBITMQ_PID_FILE="$rabbit/pid" RABBITMQ_ENABLED_PLUGINS_FILE="$rabbit/enabled_plugins" \
      RABBITMQ_CONFIG_FILE="$rabbit/rabbitmq" ERL_CRASH_DUMP="$rabbit/erl_crash.dump" \
      setsid "$server" > "$rabbit/server.out" 2>&1 < /dev/null &
    HOME="$rabbit" "$(sbin)/rabbitmqctl" -n "$node_name" wait --timeout 120 "$rabbit/pid" > /dev/null
    # Virtual hosts for tests that run service processes of their own, apart from the system tests' services: isolated (one
    # service at a time), scale (the scale-out test's twelve).
    for vhost in isolated scale; do
      HOME="$rabbit" "$(sbin)/rabbitmqctl" -n "$node_name" add_vhost "$vhost" > /dev/null 2>&1 || true
      HOME="$rabbit" "$(sbin)/rabbitmqctl" -n "$node_name" set_permissions -p "$vhost" guest ".*" ".*" ".*" > /dev/null
    done
  fi
  if ! "$(pgbin)/pg_isready" -q -h 127.0.0.1 -p "$pg_port"; then
    mkdir -p "$pg" && chown postgres "$pg"
    [ -f "$pg/data/PG_VERSION" ] || runuser -u postgres -- "$(pgbin)/initdb" -D "$pg/data" -A trust -U mlops > /dev/null
    runuser -u postgres -- "$(pgbin)/pg_ctl" -D "$pg/data" -l "$pg/server.log" -w \
      -o "-p $pg_port -k $pg -c listen_addresses=127.0.0.1 -c fsync=off" start > /dev/null
  fi
  if [ ! -f "$s3/pid" ] || ! kill -0 "$(cat "$s3/pid" 2>/dev/null)" 2>/dev/null; then
    (cd "$s3" && setsid node node_modules/s3rver/bin/s3rver.js --address 127.0.0.1 --port "$s3_port" \
      --directory "$s3/data" --silent > "$s3/server.out" 2>&1 < /dev/null & echo $! > "$s3/pid")
    for _ in $(seq 1 50); do
      curl -s -o /dev/null "http://127.0.0.1:$s3_port/" && break
      sleep 0.2
    done
  fi
  echo "RabbitMQ on 127.0.0.1:$amqp_port, S3 on 127.0.0.1:$s3_port, PostgreSQL on 127.0.0.1:$pg_port"
  connection_strings
}

stop() {
  if [ -f "$rabbit/pid" ]; then
    HOME="$rabbit" "$(sbin)/rabbitmqctl" -n "$node_name" stop "$rabbit/pid" > /dev/null 2>&1 || kill "$(cat "$rabbit/pid")" 2>/dev/null || true
    rm -f "$rabbit/pid"
  fi
  pkill -f "epmd -daemon" 2>/dev/null || true
  if [ -f "$s3/pid" ]; then
    kill "$(cat "$s3/pid")" 2>/dev/null || true
    rm -f "$s3/pid"
  fi
  # setsid may leave node under another PID than the one recorded: stop whatever serves this port's s3rver.
  pkill -f "s3rver.js --address 127.0.0.1 --port $s3_port" 2>/dev/null || true
  if [ -n "$(pgbin)" ] && [ -f "$pg/data/postmaster.pid" ]; then
    runuser -u postgres -- "$(pgbin)/pg_ctl" -D "$pg/data" -m fast stop > /dev/null 2>&1 || true
  fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  env) connection_strings ;;
  test-env)
    echo "export MLOPS_TEST_MESSAGING=amqp://guest:guest@127.0.0.1:$amqp_port"
    echo "export MLOPS_TEST_MESSAGING_ISOLATED=amqp://guest:guest@127.0.0.1:$amqp_port/isolated"
    echo "export MLOPS_TEST_MESSAGING_SCALE=amqp://guest:guest@127.0.0.1:$amqp_port/scale"
    echo "export MLOPS_TEST_POSTGRES='Host=127.0.0.1;Port=$pg_port;Username=mlops;Database=postgres'"
    echo "export MLOPS_TEST_ARTIFACTS='Endpoint=http://127.0.0.1:$s3_port;AccessKey=S3RVER;SecretKey=S3RVER;Bucket=mlops-test'" ;;
  *) echo "usage: $0 install|start|stop|env|test-env" >&2; exit 2 ;;
esac
