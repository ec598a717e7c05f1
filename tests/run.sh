#!/usr/bin/env bash
# Set up everything the tests need on a fresh machine, then run them all.
# Extra arguments go to pytest. CI runs exactly this (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use for real (not mocks). Installed only when missing.
system_packages=(dovecot-imapd openssl)
missing=()
for package in "${system_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "tests/run.sh: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

python=${PYTHON:-python3}
[[ -x .venv/bin/python ]] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]' 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
.venv/bin/python -m pip check >/dev/null

.venv/bin/ruff check concierge tests db workers bench
.venv/bin/ruff format --check concierge tests db workers bench
.venv/bin/mypy
.venv/bin/concierge check
exec .venv/bin/pytest "$@"
