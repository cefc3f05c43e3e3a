#!/usr/bin/env bash
# Rebuilding a loyalty programme's ledger (docs/examples/gift-club.toml) on
# the demo shop and on a generated shop, against reading the same rows from
# SQLite in the same run (benches/loyalty.rs). Builds the release CLI for
# the demo shop. Usage: benches/loyalty.sh [CUSTOMERS] [ORDERS]
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOMERS="${1:-100000}"
ORDERS="${2:-2000000}"
cargo build --release --quiet -p merchant-desk-cli
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT
target/release/merchant-desk --db "$DATA/demo.sqlite" demo >/dev/null
cargo bench --quiet --bench loyalty -- --db "$DATA/demo.sqlite" --customers "$CUSTOMERS" --orders "$ORDERS"
