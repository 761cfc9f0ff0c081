#!/usr/bin/env bash
# The test command: installs and starts RabbitMQ, an S3 endpoint and PostgreSQL on loopback (scripts/infra.sh), runs every test
# against them, stops them, and ends with one line: "tests: N passed, N failed[, N skipped]".
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
results="$root/.infra/test-results"
rm -rf "$results"
mkdir -p "$results"

scripts/infra.sh start || { echo "could not start RabbitMQ, S3 and PostgreSQL (see .infra/*/server.out, /tmp/mlops-postgres-*/server.log)"; echo "tests: 0 passed, 1 failed"; exit 1; }
trap 'scripts/infra.sh stop' EXIT
eval "$(scripts/infra.sh test-env)"

# The schema validator for the Kubernetes manifests (npm packages with the Kubernetes and KEDA schemas inside; no cluster).
(cd kubernetes/validate && npm ci --no-audit --no-fund --silent) || echo "could not install kubernetes/validate (npm ci): the manifest tests will say so"

dotnet build MlOps.sln -c Release --nologo -v q -clp:ErrorsOnly
build=$?
status=$build
if [ "$build" -eq 0 ]; then
  dotnet test MlOps.sln -c Release --no-build --nologo \
    --logger "trx;LogFilePrefix=results" --results-directory "$results" -- RunConfiguration.TestSessionTimeout=1500000
  status=$?
fi

# Sum the counters of every test assembly's TRX file into the one summary line CI reads.
python3 - "$results" "$build" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(path).getroot().find(".//{*}Counters")
    passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0))
    skipped += int(c.get("notExecuted", 0))
if sys.argv[2] != "0": failed += 1  # the build itself failed
line = f"tests: {passed} passed, {failed} failed"
print(line + (f", {skipped} skipped" if skipped else ""))
PY
exit $status
