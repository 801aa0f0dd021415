#!/usr/bin/env bash
# Issue 20 benchmark, on a 2-host test cluster, release build: a running
# guest with a 1 GB own layer (256 x 4 MB) and 1 MB rewritten between syncs;
# `vfleet guest replicate --sync-now` wall time and how long the guest was
# frozen, against `rsync -aHAX --numeric-ids` of the same tree (a local copy,
# no SSH, and without the freeze it would need to be consistent); and a
# running guest with 50,000 files of 1 KB, 100 of them rewritten between
# syncs, the same way; medians.
#
#   bash bench/replication/run.sh [RUNS] [CASES]   # CASES: big,many (default), big, or many
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/install-deps
swift build -c release --static-swift-stdlib --product vfleet >/dev/null
swift build -c release --static-swift-stdlib --product vfleet-agent >/dev/null
mkdir -p bench/results
exec python3 bench/replication/bench.py --bin "$PWD/.build/release" --runs "${1:-5}" --cases "${2:-big,many}" --out bench/results/replication.json
