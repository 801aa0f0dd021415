#!/usr/bin/env bash
# Issue 21 benchmark: the inventory of 500 hosts and 5,000 guests, without a
# cluster. A synthetic report (synthetic.py, the documented JSON) is
# rendered by `vfleet inventory --from-json`, a new process each run:
#  - as the terminal table only, and as the table plus the HTML page: the
#    difference is the HTML's generation (and writing the file);
#  - then headless Chromium opens the page, each run a new browser
#    (render.py): the times from navigation to DOMContentLoaded, load, and
#    the first full layout.
#
#   bash bench/inventory/report.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-20}
bash scripts/install-deps
swift build -c release --static-swift-stdlib --product vfleet >/dev/null
BIN=$PWD/.build/release
WORK=$(mktemp -d /var/tmp/vfleet-bench-report-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p bench/results
python3 bench/inventory/synthetic.py 500 > "$WORK/fleet.json"
echo "== vfleet inventory --from-json of 500 hosts / 5,000 guests ($RUNS runs each)"
python3 bench/lib/timeit.py --runs "$RUNS" --out bench/results/inventory-report.json \
  "table=$BIN/vfleet inventory --from-json $WORK/fleet.json" \
  "table and HTML=$BIN/vfleet inventory --from-json $WORK/fleet.json --html $WORK/fleet.html"
python3 bench/lib/report.py bench/results/inventory-report.json "table"
echo
echo "HTML page: $(stat -c %s "$WORK/fleet.html") bytes, $(gzip -c "$WORK/fleet.html" | wc -c) gzipped;" \
  "table: $("$BIN/vfleet" inventory --from-json "$WORK/fleet.json" | wc -c) bytes," \
  "widest line $("$BIN/vfleet" inventory --from-json "$WORK/fleet.json" | wc -L) columns"
echo "== headless Chromium opens the page ($RUNS runs)"
python3 bench/inventory/render.py "$WORK/fleet.html" "$RUNS" bench/results/inventory-render.json
