#!/usr/bin/env bash
# Cold start to a painted dashboard, and memory (the app and its web view
# processes) three seconds after that paint, of the desktop app on the demo
# shop under Xvfb, beside two references measured in the same run, turn about:
#   floor        the same binary opening one empty window of the same size
#                with the same WebKit settings (no service, no database, no
#                UI): what this stack costs before the app does anything;
#   compositing  the app with WebKitGTK's GPU compositing left on, which the
#                app turns off by default.
# The app measures itself (MERCHANT_DESK_STARTUP_PROBE) and exits; the table
# gives medians and each figure as a ratio to the floor.
# Usage: benches/app-start.sh [APP_BINARY] [RUNS]
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

run_one() { # VARIANT OUT
  local extra=()
  case "$1" in
    floor) extra=(MERCHANT_DESK_PROBE_EMPTY_WINDOW=1) ;;
    compositing) extra=(WEBKIT_DISABLE_COMPOSITING_MODE=0) ;;
  esac
  env "${extra[@]}" MERCHANT_DESK_DATA_DIR="$DATA" MERCHANT_DESK_STARTUP_PROBE="$2" \
    timeout 60 xvfb-run -a --server-args="-screen 0 1400x900x24" "$APP" >/dev/null 2>&1 || true
  [ -s "$2" ] || echo "$1 run: no figures (did the window open?)" >&2
}

for i in $(seq 1 "$RUNS"); do
  for variant in app floor compositing; do
    run_one "$variant" "$DATA/$variant-$i.json"
  done
done

python3 - "$DATA" "$RUNS" <<'EOF'
import json, os, statistics, sys
data, runs = sys.argv[1], int(sys.argv[2])
variants = ["app", "floor", "compositing"]
figures = {v: [] for v in variants}
for v in variants:
    for i in range(1, runs + 1):
        p = os.path.join(data, f"{v}-{i}.json")
        if os.path.exists(p) and os.path.getsize(p):
            figures[v].append(json.load(open(p)))
med = {v: {k: statistics.median(f[k] for f in figures[v]) for k in figures[v][0]}
       for v in variants if figures[v]}
rows = [("cold start to first paint", "cold_start_ms", lambda x: f"{x / 1000:.2f} s"),
        ("app process RSS", "app_rss_kib", lambda x: f"{x / 1024:.0f} MiB"),
        ("app + web view processes, PSS", "tree_pss_kib", lambda x: f"{x / 1024:.0f} MiB")]
n = {v: len(figures[v]) for v in variants}
print(f"| figure (median; runs: app {n['app']}, floor {n['floor']}, compositing {n['compositing']}) "
      "| app as shipped | floor: empty window | app / floor | compositing on | compositing / floor |")
print("| --- | --- | --- | --- | --- | --- |")
for label, key, fmt in rows:
    a, f, c = (med.get(v, {}).get(key) for v in variants)
    ratio = lambda x: f"{x / f:.2f}" if x and f else "–"
    print(f"| {label} | {fmt(a) if a else '–'} | {fmt(f) if f else '–'} | {ratio(a)} | {fmt(c) if c else '–'} | {ratio(c)} |")
if "app" in med:
    print(f"\nOf the app's start, its page (load, IPC, draw): {med['app']['page_ms'] / 1000:.2f} s")
EOF
