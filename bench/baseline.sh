# Sourced by the benchmark scripts: installs a Debian package for the baseline when the check for it fails.
#   baseline "python module check" package   e.g.  baseline "/usr/bin/python3 -c 'import scipy'" python3-scipy
baseline() {
  if ! eval "$1" >/dev/null 2>&1; then
    echo "installing Debian's $2 (the baseline)"
    apt-get install -y -qq "$2" >/dev/null
  fi
}
