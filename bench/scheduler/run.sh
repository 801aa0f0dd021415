#!/usr/bin/env bash
# Scheduler benchmark (see SchedulerBench.swift): builds FleetProtocol and
# FleetScheduler as separate optimized modules, as a release build of the
# package would, links the benchmark against them and runs it.
#
#   bash bench/scheduler/run.sh [REPETITIONS]   (from the repository root; default 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
REPETITIONS=${1:-5}
OUT=$(mktemp -d /tmp/vfleet-scheduler-bench-XXXXXX)
trap 'rm -rf "$OUT"' EXIT

module() { # name, sources...
  local name=$1; shift
  swiftc -O -wmo -parse-as-library -swift-version 6 -module-name "$name" -I "$OUT" \
    -emit-module -emit-module-path "$OUT/$name.swiftmodule" \
    -emit-library -static -o "$OUT/lib$name.a" "$@"
}
module FleetProtocol Sources/FleetProtocol/*.swift
module FleetScheduler Sources/FleetScheduler/*.swift
swiftc -O -wmo -parse-as-library -swift-version 6 -module-name SchedulerBench -I "$OUT" -L "$OUT" \
  -lFleetScheduler -lFleetProtocol bench/scheduler/SchedulerBench.swift -o "$OUT/scheduler-bench"

echo "== scheduler: $(nproc) cores, $(swift --version 2>/dev/null | head -1)"
"$OUT/scheduler-bench" "$REPETITIONS"
