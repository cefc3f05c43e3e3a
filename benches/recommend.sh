#!/usr/bin/env bash
# Recommendations on the demo shop (every Online Retail order), beside the
# reference implementations run in the same invocation on the same hold-out
# (benches/recommend_reference.py: popularity, implicit ALS, association
# rules by efficient-apriori): HR@10 and NDCG@10, and the time to build every
# product's lists and to complete 4,000 baskets against the references' fit
# times; and the bundle search (every frequent pair and triple) beside
# efficient-apriori's on the same baskets and support. Installs what it needs: python3-venv (apt); NumPy, SciPy, implicit,
# efficient-apriori, threadpoolctl (PyPI, into target/bench-venv); builds the
# release CLI. Usage: benches/recommend.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-5}"
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
"$VENV/bin/python" -c 'import numpy, scipy, implicit, efficient_apriori, threadpoolctl' 2>/dev/null ||
  "$VENV/bin/pip" install --quiet 'numpy>=2,<3' scipy 'implicit==0.7.*' 'efficient-apriori==2.*' threadpoolctl

cargo build --release --quiet -p merchant-desk-cli
CLI=target/release/merchant-desk
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT
"$CLI" --db "$DATA/demo.sqlite" demo >/dev/null
# The last 4,000 orders with merchandise as carts (basket,sku,customer).
sqlite3 -csv "$DATA/demo.sqlite" "
  SELECT 'basket', 'sku', 'customer';
  SELECT o.number, v.sku, COALESCE(c.external_id, '')
  FROM orders o JOIN order_lines l ON l.order_id = o.id JOIN variants v ON v.id = l.variant_id
  JOIN products p ON p.id = v.product_id LEFT JOIN customers c ON c.id = o.customer_id
  WHERE p.kind = 'merchandise' AND o.id IN (
    SELECT o2.id FROM orders o2 WHERE EXISTS (
      SELECT 1 FROM order_lines l2 JOIN variants v2 ON v2.id = l2.variant_id
      JOIN products p2 ON p2.id = v2.product_id WHERE l2.order_id = o2.id AND p2.kind = 'merchandise')
    ORDER BY o2.placed_at DESC, o2.id DESC LIMIT 4000)
  ORDER BY o.id, l.line_no" > "$DATA/carts.csv"

"$CLI" --db "$DATA/demo.sqlite" --json recommend evaluate > "$DATA/ours.json"
"$CLI" --db "$DATA/demo.sqlite" --json recommend evaluate --last 500 > "$DATA/ours-500.json"
"$VENV/bin/python" benches/recommend_reference.py "$DATA/demo.sqlite" > "$DATA/reference.json"
"$VENV/bin/python" benches/recommend_reference.py "$DATA/demo.sqlite" --last 500 > "$DATA/reference-500.json"
"$CLI" --db "$DATA/demo.sqlite" --json bundle suggest > "$DATA/bundles.json"
MIN_ORDERS=$("$VENV/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["min_orders"])' "$DATA/bundles.json")
"$VENV/bin/python" benches/recommend_reference.py "$DATA/demo.sqlite" --bundles "$MIN_ORDERS" > "$DATA/bundles-reference.json"

"$VENV/bin/python" - "$CLI" "$DATA" "$RUNS" <<'PY'
import json, statistics, subprocess, sys, time
cli, data, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = f"{data}/demo.sqlite"

def timed(args):
    t = time.perf_counter()
    out = subprocess.run([cli, "--db", db, "--json", *args], check=True, capture_output=True).stdout
    return time.perf_counter() - t, out

builds = [timed(["recommend", "build"]) for _ in range(runs)]
build_wall = statistics.median(b[0] for b in builds)
build_own = statistics.median(json.loads(b[1])["millis"] for b in builds) / 1000
completes = [timed(["recommend", "complete", "--baskets", f"{data}/carts.csv", "--limit", "10"]) for _ in range(runs)]
complete_wall = statistics.median(c[0] for c in completes)
carts = len(json.loads(completes[0][1])["baskets"])

for suffix, label in [("", "every training order"), ("-500", "the last 500 training orders")]:
    ours = json.load(open(f"{data}/ours{suffix}.json"))
    ref = json.load(open(f"{data}/reference{suffix}.json"))
    print(f"\nHold-out, {label}: {ours['test_baskets']} test baskets "
          f"(reference: {ref['test_baskets']}), {ours['model_items']} items in the matrix, λ {ours['lambda']:.0f}\n")
    print("| method | HR@10 | NDCG@10 | fit |")
    print("|---|---|---|---|")
    for m in ref["methods"]:
        fit = f"{m['fit_seconds']:.2f} s" if m["fit_seconds"] else "–"
        print(f"| {m['name']} (reference) | {m['hr_at_10']:.3f} | {m['ndcg_at_10']:.3f} | {fit} |")
    for m in ours["methods"]:
        print(f"| Merchant Desk: {m['name']} | {m['hr_at_10']:.3f} | {m['ndcg_at_10']:.3f} | |")

ref = json.load(open(f"{data}/reference.json"))
als = next(m for m in ref["methods"] if m["name"].startswith("ALS"))
rules = next(m for m in ref["methods"] if m["name"].startswith("association"))
print(f"\nSpeed (median of {runs} runs each)\n")
print("| work | time | against ALS fit | against rule mining |")
print("|---|---|---|---|")
print(f"| ALS fit (reference) | {als['fit_seconds']:.2f} s | 1.00 | {als['fit_seconds'] / rules['fit_seconds']:.2f} |")
print(f"| rule mining (reference) | {rules['fit_seconds']:.2f} s | {rules['fit_seconds'] / als['fit_seconds']:.2f} | 1.00 |")
print(f"| every product's lists (build, as it times itself) | {build_own:.2f} s | {build_own / als['fit_seconds']:.2f} | {build_own / rules['fit_seconds']:.2f} |")
print(f"| the same, whole command | {build_wall:.2f} s | {build_wall / als['fit_seconds']:.2f} | {build_wall / rules['fit_seconds']:.2f} |")
print(f"| completing {carts} carts, whole command | {complete_wall:.2f} s | {complete_wall / als['fit_seconds']:.2f} | {complete_wall / rules['fit_seconds']:.2f} |")

suggests = [timed(["bundle", "suggest"]) for _ in range(runs)]
suggest_wall = statistics.median(s[0] for s in suggests)
suggest_own = statistics.median(json.loads(s[1])["millis"] for s in suggests) / 1000
ours = json.loads(suggests[0][1])
ref = json.load(open(f"{data}/bundles-reference.json"))
same = all(ours[f"frequent_{k}"] == ref[k] for k in ("items", "pairs", "triples"))
print(f"\nBundle search: every product, pair and triple in {ours['min_orders']} of {ours['baskets']} baskets or more "
      f"(median of {runs} runs; efficient-apriori once)\n")
print("| | products | pairs | triples | time | against efficient-apriori |")
print("|---|---|---|---|---|---|")
print(f"| efficient-apriori (reference) | {ref['items']} | {ref['pairs']} | {ref['triples']} | {ref['seconds']:.2f} s | 1.00 |")
print(f"| Merchant Desk, as it times itself (mining, pricing, ranking) | {ours['frequent_items']} | {ours['frequent_pairs']} | "
      f"{ours['frequent_triples']} | {suggest_own:.2f} s | {suggest_own / ref['seconds']:.3f} |")
print(f"| the same, whole command | | | | {suggest_wall:.2f} s | {suggest_wall / ref['seconds']:.3f} |")
print(f"\nThe same itemsets on both sides: {'yes' if same else 'NO'}")
PY
