#!/usr/bin/env python3
"""Times commands the same way for vfleet and its peers: N runs each,
optional prepare/cleanup commands around every run (not timed), medians.

Usage: timeit.py --runs N --out FILE.json NAME=COMMAND [NAME=COMMAND ...]
       with optional --prepare NAME=COMMAND and --cleanup NAME=COMMAND.
A command that fails is recorded as failed with its output, not timed.
"""
import argparse, json, statistics, subprocess, sys, time


def run(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--out", required=True)
    ap.add_argument("--prepare", action="append", default=[])
    ap.add_argument("--cleanup", action="append", default=[])
    ap.add_argument("commands", nargs="+")
    a = ap.parse_args()
    prepare = dict(p.split("=", 1) for p in a.prepare)
    cleanup = dict(p.split("=", 1) for p in a.cleanup)
    results = {}
    for spec in a.commands:
        name, cmd = spec.split("=", 1)
        times, failure = [], None
        for i in range(a.warmup + a.runs):
            if name in prepare:
                run(prepare[name].replace("{i}", str(i)))
            c = cmd.replace("{i}", str(i))
            t0 = time.perf_counter()
            r = run(c)
            dt = time.perf_counter() - t0
            if name in cleanup:
                run(cleanup[name].replace("{i}", str(i)))
            if r.returncode != 0:
                failure = (r.stderr or r.stdout).strip().splitlines()[-1:] or ["exit %d" % r.returncode]
                failure = "exit %d: %s" % (r.returncode, failure[0])
                break
            if i >= a.warmup:
                times.append(dt * 1000)
        if failure:
            results[name] = {"command": cmd, "failed": failure}
            print(f"{name:>28}: FAILED ({failure})", flush=True)
        else:
            med = statistics.median(times)
            results[name] = {"command": cmd, "runs": len(times), "median_ms": med,
                             "min_ms": min(times), "max_ms": max(times), "times_ms": times}
            print(f"{name:>28}: median {med:8.2f} ms  (min {min(times):.2f}, max {max(times):.2f}, n={len(times)})", flush=True)
    with open(a.out, "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
