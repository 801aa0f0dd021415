#!/usr/bin/env python3
"""The evacuation benchmark (see run.sh). Builds its own test cluster, measures,
tears it down. Prints medians and writes all samples to --out."""
import argparse, json, os, statistics, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--bin", required=True)
ap.add_argument("--runs", type=int, default=5)
ap.add_argument("--out", required=True)
ap.add_argument("--guests", type=int, default=10)
a = ap.parse_args()
VFLEET = os.path.join(a.bin, "vfleet")
AGENT = os.path.join(a.bin, "vfleet-agent")
work = tempfile.mkdtemp(prefix="vfleet-bench-evac-", dir="/var/tmp")
cluster = os.path.join(work, "cluster")
db = os.path.join(work, "db", "fleet.db")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from fleetcmd import sh, vfleet_runner  # noqa: E402
vf = vfleet_runner(VFLEET, db, cluster)


def med(xs):
    return statistics.median(xs) if xs else None


def evacuate(parallel):
    """One timed `host evacuate host1`; answers the wall time and each move's downtime."""
    sh("sync")  # nothing dirty from the run before is paid for by this one
    t0 = time.perf_counter()
    r = json.loads(vf("host", "evacuate", "host1", "--max-parallel", str(parallel), "--format", "json").stdout)
    wall = time.perf_counter() - t0
    failed = [m for m in r["moves"] if m.get("error")]
    if failed or len(r["moves"]) != a.guests or r["hosts"][0]["state"] != "evacuated":
        raise SystemExit(f"evacuation with --max-parallel {parallel} did not move every guest: {r}")
    return wall, [m["downtimeSeconds"] for m in r["moves"]]


results = {}
try:
    # Each test host gets a disk of its own (a journaled ext4), as in the
    # migration benchmark: this machine's root file system has no journal.
    sh([VFLEET, "dev-cluster", "up", "--hosts", "3", "--disk-size", "16G", "--dir", cluster, "--agent", AGENT])
    st = json.load(open(f"{cluster}/cluster.json"))
    for h in st["hosts"]:
        vf("host", "add", h["name"], "--address", h["address"], "--accept-new-host-key")
    vf("template", "add", "busybox", "--busybox")
    vf("template", "push", "busybox", "--all")
    for i in range(a.guests):
        vf("guest", "create", f"ev{i}", "--template", "busybox", "--host", "host1", "--memory", "32M")
        vf("guest", "exec", f"ev{i}", "--", "/bin/sh", "-c", "head -c 8388608 /dev/urandom > /data")
    print(f"== evacuate a host of {a.guests} guests (8 MB own layer each) to two others: "
          f"--max-parallel 4 against one at a time ({a.runs} runs)")
    walls = {4: [], 1: []}
    downs = {4: [], 1: []}
    for run in range(a.runs):
        # Alternate which goes first, so neither always gets the warmer caches.
        for n in ((4, 1) if run % 2 == 0 else (1, 4)):
            wall, d = evacuate(n)
            walls[n].append(wall)
            downs[n].extend(d)
            vf("host", "restore", "host1", "--max-parallel", "4")
    results["evacuate"] = {"guests": a.guests, "parallel4_s": walls[4], "sequential_s": walls[1],
                           "parallel4_downtime_s": downs[4], "sequential_downtime_s": downs[1]}
    print(f"  --max-parallel 4   median {med(walls[4]):6.2f} s  (min {min(walls[4]):.2f}, max {max(walls[4]):.2f}); "
          f"downtime per guest median {med(downs[4]):.3f} s")
    print(f"  one at a time      median {med(walls[1]):6.2f} s  (min {min(walls[1]):.2f}, max {max(walls[1]):.2f}); "
          f"downtime per guest median {med(downs[1]):.3f} s")
    print(f"  speed-up {med(walls[1]) / med(walls[4]):.2f}x")
finally:
    # The connection keeper the vfleet commands above started ends with the cluster.
    try:
        vf("connections", "stop")
    except SystemExit:
        pass
    sh([VFLEET, "dev-cluster", "down", "--dir", cluster], check=False)
    sh(f"rm -rf {work}", check=False)
    json.dump(results, open(a.out, "w"), indent=2)
