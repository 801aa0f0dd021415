#!/usr/bin/env bash
# Issue 4 benchmark, on a 2-host (and a 3-host) test cluster, release build:
#  1. moving a guest whose own layer is ~200 MB in ~5,000 files between two
#     test hosts, direct (host to host) and through the controller's relay:
#     wall time, the CPU of the controller (vfleet + connection keeper) and of both
#     hosts (sshd and agents), each counted by cgroup, and bytes on the destination's wire, against
#     `rsync -aHAX --numeric-ids` over ssh and `tar | ssh tar` of the same
#     tree between the same hosts, in the same run;
#  2. downtime (stopped at the source → running at the destination) of a guest
#     with a 1 GB own layer while a process in it rewrites 1 MB continuously;
#  3. evacuating a host of 10 guests with --max-parallel 4 against one at a time;
#  4. moving a guest of 50,000 small files (wall time and downtime) against
#     rsync and tar | ssh tar of the same tree.
#
#   bash bench/migration/run.sh [RUNS] [SECTIONS]     e.g. run.sh 5 4 for part 4 only
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/install-deps
swift build -c release --static-swift-stdlib --product vfleet >/dev/null
swift build -c release --static-swift-stdlib --product vfleet-agent >/dev/null
mkdir -p bench/results
exec python3 bench/migration/bench.py --bin "$PWD/.build/release" --runs "${1:-5}" --sections "${2:-1,2,3,4}" --out bench/results/migration.json
