#!/usr/bin/env bash
# Issue 20 benchmark, on a 3-host test cluster, release build: 10 running
# guests on host1, each replicated to a standby (the scheduler spreads them
# over host2 and host3); host1 is killed (its agents and guests killed, its
# link down); the time from `vfleet host fail host1` until all 10 run on
# their standby hosts, and how much of it was the alive check (the hello
# that must time out before a host counts as dead); medians, a fresh
# cluster per run.
#
#   bash bench/replication/failover.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/install-deps
swift build -c release --static-swift-stdlib --product vfleet >/dev/null
swift build -c release --static-swift-stdlib --product vfleet-agent >/dev/null
mkdir -p bench/results
exec python3 bench/replication/failover.py --bin "$PWD/.build/release" --runs "${1:-3}" --out bench/results/failover.json
