#!/usr/bin/env bash
# Issue 20 benchmark, on a 2-host test cluster, release build: a running
# guest with a 1 GB own layer (256 x 4 MB) and 1 MB rewritten between syncs;
# `vfleet guest replicate --sync-now` wall time and how long the guest was
# frozen, against `rsync -aHAX --numeric-ids` of the same tree (a local copy,
# no SSH, and without the freeze it would need to be consistent); medians.
#
#   bash bench/replication/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/install-deps
swift build -c release --static-swift-stdlib --product vfleet >/dev/null
swift build -c release --static-swift-stdlib --product vfleet-agent >/dev/null
mkdir -p bench/results
exec python3 bench/replication/bench.py --bin "$PWD/.build/release" --runs "${1:-5}" --out bench/results/replication.json
