#!/usr/bin/env bash
# The pricing model on the demo shop (every Online Retail product), 90 days
# × 1,000 paths, against the same model in NumPy run in the same invocation.
# Installs what it needs: python3-venv (apt), NumPy (PyPI, into
# target/bench-venv); builds the release CLI for the demo shop and the
# benchmark (benches/pricing.rs). Usage: benches/pricing.sh [DAYS] [PATHS]
set -euo pipefail
cd "$(dirname "$0")/.."
DAYS="${1:-90}"
PATHS_N="${2:-1000}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

VENV=target/bench-venv
if [ ! -x "$VENV/bin/python" ]; then
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  fi
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -c 'import numpy' 2>/dev/null || "$VENV/bin/pip" install --quiet 'numpy>=2,<3'

cargo build --release --quiet -p merchant-desk-cli
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT
target/release/merchant-desk --db "$DATA/demo.sqlite" demo >/dev/null
"$VENV/bin/python" -c 'import numpy; print("NumPy", numpy.__version__)'
cargo bench --quiet --bench pricing -- --db "$DATA/demo.sqlite" \
  --python "$VENV/bin/python" --script benches/pricing_numpy.py --days "$DAYS" --paths "$PATHS_N"
