#!/usr/bin/env bash
# Cold start to a painted dashboard, and resident memory (the app and its web
# view processes) three seconds after that paint, of the desktop app on the
# demo shop under Xvfb. The app measures itself (MERCHANT_DESK_STARTUP_PROBE)
# and exits. Usage: benches/app-start.sh [APP_BINARY] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
APP="${1:-target/release/merchant-desk-app}"
RUNS="${2:-5}"
[ -x "$APP" ] || { echo "build the app with its probe first: cargo build --release -p merchant-desk-app --features startup-probe" >&2; exit 1; }
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT

# The demo shop is built once beforehand: the figure is the start of the app
# on an existing shop, not the one-off demo import.
target/release/merchant-desk --db "$DATA/demo.sqlite" demo >/dev/null 2>&1 ||
  cargo run --release --quiet -p merchant-desk-cli -- --db "$DATA/demo.sqlite" demo >/dev/null
echo demo > "$DATA/last-workspace"

xvfb_run() { xvfb-run -a --server-args="-screen 0 1400x900x24" "$@"; }

for i in $(seq 1 "$RUNS"); do
  OUT="$DATA/probe-$i.json"
  MERCHANT_DESK_DATA_DIR="$DATA" MERCHANT_DESK_STARTUP_PROBE="$OUT" timeout 60 bash -c "$(declare -f xvfb_run); xvfb_run '$APP'" >/dev/null 2>&1 || true
  cat "$OUT" 2>/dev/null && echo || echo "run $i: no figures (did the window open?)"
done
