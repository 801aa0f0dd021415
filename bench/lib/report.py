#!/usr/bin/env python3
"""Prints a markdown table of medians from a timeit.py result file, with
each entry's ratio to the reference entry (ratio > 1: slower than it)."""
import json, sys

results = json.load(open(sys.argv[1]))
ref = sys.argv[2]
base = results.get(ref, {}).get("median_ms")
print()
print("| command | median | ratio to %s |" % ref)
print("|---|---:|---:|")
for name, r in results.items():
    if "failed" in r:
        print(f"| {name} | failed: {r['failed']} | |")
    else:
        ratio = f"{r['median_ms'] / base:.2f}" if base else "-"
        print(f"| {name} | {r['median_ms']:.2f} ms | {ratio} |")
