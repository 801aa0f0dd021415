#!/usr/bin/env bash
# Issue 18 benchmark, on a 3-host test cluster, release build: evacuating a
# host of 10 guests (8 MB own layer each) with --max-parallel 4 against one
# at a time, both in the same run, alternating which goes first; wall time
# of `vfleet host evacuate` and each move's downtime; medians.
#
#   bash bench/evacuate/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/install-deps
swift build -c release --static-swift-stdlib --product vfleet >/dev/null
swift build -c release --static-swift-stdlib --product vfleet-agent >/dev/null
mkdir -p bench/results
exec python3 bench/evacuate/bench.py --bin "$PWD/.build/release" --runs "${1:-5}" --out bench/results/evacuate.json
