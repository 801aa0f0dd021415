#!/bin/bash
# Issue 19: guest creates per second on a replicated fleet (3-member etcd on
# this machine, 2-host test cluster), 20 `vfleet guest create --stopped`
# from one controller, then 10 each from two controllers at once (each with
# its own replica), in one run; medians. Debug build.
# Usage: bench/control/creates.sh [RUNS] (at most 3: one address pool of 126). Samples: bench/results/creates.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-3}"
bash scripts/install-deps >/dev/null
mkdir -p bench/results
out="$PWD/bench/results/creates.json"
swift build --build-tests >/dev/null
VFLEET_BENCH_OUT="$out" VFLEET_BENCH_RUNS="$runs" \
    swift test --skip-build --filter CreateRateBenchmark >/dev/null
python3 - "$out" <<'PY'
import json, statistics, sys
s = json.load(open(sys.argv[1]))
one = statistics.median(s["one controller"])
print("| creates from | n | median creates/s | ratio to one |")
print("|---|---:|---:|---:|")
for name in ["one controller", "two controllers"]:
    m = statistics.median(s[name])
    print(f"| {name} | {len(s[name])} | {m:.2f} | {m / one:.2f} |")
PY
