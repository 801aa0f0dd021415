#!/bin/bash
# One store write's latency (a setting changed), standalone against
# replicated on a 3-member etcd on this machine (127.0.0.1), in one run;
# plus a read on a second replica right after the first one's write
# (read-your-writes across controllers). Usage: bench/control/run.sh [WRITES]
# Needs /usr/bin/etcd (scripts/install-deps). Samples: bench/results/control.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
writes="${1:-300}"
mkdir -p bench/results
out="$PWD/bench/results/control.json"
swift build --build-tests >/dev/null
VFLEET_BENCH_OUT="$out" VFLEET_BENCH_WRITES="$writes" \
    swift test --skip-build --filter StoreWriteLatencyBenchmark >/dev/null
python3 - "$out" <<'PY'
import json, statistics, sys
samples = json.load(open(sys.argv[1]))
def p99(xs):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(round(0.99 * (len(xs) - 1))))]
base = statistics.median(samples["standalone"])
print("| store write | n | median | p99 | ratio to standalone |")
print("|---|---:|---:|---:|---:|")
for name in ["standalone", "replicated", "replicated read after another replica's write"]:
    xs = samples[name]
    m = statistics.median(xs)
    print(f"| {name} | {len(xs)} | {m*1000:.2f} ms | {p99(xs)*1000:.2f} ms | {m/base:.1f} |")
PY
