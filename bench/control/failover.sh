#!/bin/bash
# Issue 19's failover: on a 3-host test cluster and a 3-member etcd, both on
# this machine, controller A evacuates host1's ten guests with its leading
# `vfleet serve` beside it; once three guests have moved both A processes are
# killed with SIGKILL. Measured: the time from the kill until controller B's
# serve owns every operation A left (default 5 s lease, 5 s resume look),
# and the evacuation's whole time against an undisturbed one, in one run;
# medians. Debug build. Usage: bench/control/failover.sh [RUNS]
# Samples: bench/results/failover.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-3}"
bash scripts/install-deps >/dev/null
mkdir -p bench/results
out="$PWD/bench/results/failover.json"
swift build --build-tests >/dev/null
VFLEET_BENCH_OUT="$out" VFLEET_BENCH_RUNS="$runs" \
    swift test --skip-build --filter FailoverBenchmark >/dev/null
python3 - "$out" <<'PY'
import json, statistics, sys
s = json.load(open(sys.argv[1]))
quiet = statistics.median(s["evacuation undisturbed"])
print("| measure | n | median | min | max |")
print("|---|---:|---:|---:|---:|")
for name in ["takeover", "evacuation killed", "evacuation undisturbed"]:
    xs = s[name]
    print(f"| {name} | {len(xs)} | {statistics.median(xs):.1f} s | {min(xs):.1f} s | {max(xs):.1f} s |")
print(f"\nkilled / undisturbed evacuation: {statistics.median(s['evacuation killed']) / quiet:.2f}")
PY
