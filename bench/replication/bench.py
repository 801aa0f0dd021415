#!/usr/bin/env python3
"""The replication benchmark (see run.sh). Builds its own test cluster, measures,
tears it down. Prints medians and writes all samples to --out."""
import argparse, json, os, statistics, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--bin", required=True)
ap.add_argument("--runs", type=int, default=5)
ap.add_argument("--out", required=True)
ap.add_argument("--files", type=int, default=256, help="4 MB files in the guest's layer (256: 1 GB)")
ap.add_argument("--cases", default="big,many",
                help="big: the 1 GB layer, 1 MB rewritten; many: 50,000 files of 1 KB, 100 of them rewritten")
ap.add_argument("--many-files", type=int, default=50000)
ap.add_argument("--changed", type=int, default=100)
a = ap.parse_args()
VFLEET = os.path.join(a.bin, "vfleet")
AGENT = os.path.join(a.bin, "vfleet-agent")
work = tempfile.mkdtemp(prefix="vfleet-bench-repl-", dir="/var/tmp")
cluster = os.path.join(work, "cluster")
db = os.path.join(work, "db", "fleet.db")
copy = os.path.join(work, "rsync-copy")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from fleetcmd import sh, vfleet_runner  # noqa: E402
vf = vfleet_runner(VFLEET, db, cluster)


def med(xs):
    return statistics.median(xs) if xs else None


def sync(guest="big"):
    """One timed `guest replicate --sync-now`: wall time and the time the guest was frozen."""
    t0 = time.perf_counter()
    r = json.loads(vf("guest", "replicate", guest, "--sync-now", "--format", "json").stdout)
    return time.perf_counter() - t0, r["frozenSeconds"]


def rsync(upper, to=None):
    t0 = time.perf_counter()
    sh(["rsync", "-aHAX", "--numeric-ids", "--delete", upper + "/", (to or copy) + "/"])
    return time.perf_counter() - t0


def rounds(guest, upper, to, change):
    """a.runs rounds of: `change` inside the guest, then a sync and an rsync, alternating which goes first."""
    walls, frozen, rs = [], [], []
    for run in range(a.runs):
        change(run)
        sh("sync")
        # Alternate which goes first, so neither always gets the warmer caches.
        if run % 2 == 0:
            w, f = sync(guest)
            r = rsync(upper, to)
        else:
            r = rsync(upper, to)
            w, f = sync(guest)
        walls.append(w)
        frozen.append(f)
        rs.append(r)
    print(f"  vfleet sync (CLI wall)     median {med(walls):6.3f} s  (min {min(walls):.3f}, max {max(walls):.3f})")
    print(f"  guest frozen               median {med(frozen) * 1000:6.1f} ms (min {min(frozen) * 1000:.1f}, max {max(frozen) * 1000:.1f})")
    print(f"  rsync -aHAX --numeric-ids  median {med(rs):6.3f} s  (min {min(rs):.3f}, max {max(rs):.3f}; local copy, guest NOT frozen)")
    print(f"  sync / rsync {med(walls) / med(rs):.2f}x")
    return walls, frozen, rs


def many_files(st):
    """A running guest with a.many_files files of about 1 KB (1,000 a directory), a.changed rewritten between syncs."""
    n, per = a.many_files, 1000
    # Shell builtins only (no process per file): a 1 KB line, then one file per number.
    make = ("s=x; for k in 1 2 3 4 5 6 7 8 9 10; do s=$s$s; done; "
            f"d=0; while [ $d -lt {(n + per - 1) // per} ]; do mkdir -p /m/d$d; d=$((d+1)); done; "
            f"i=0; while [ $i -lt {n} ]; do echo \"$i $s\" > /m/d$((i/{per}))/f$i; i=$((i+1)); done")
    vf("guest", "create", "many", "--template", "busybox", "--host", "host1", "--memory", "256M")
    vf("guest", "exec", "many", "--", "/bin/sh", "-c", make)
    upper = st["hosts"][0]["stateDirectory"] + "/guests/many/upper"
    to = os.path.join(work, "rsync-many")
    t0 = time.perf_counter()
    vf("guest", "replicate", "many", "--to", "host2")
    first = time.perf_counter() - t0
    first_rsync = rsync(upper, to)
    print(f"== replication of a running guest with {n} files, {a.changed} rewritten between syncs ({a.runs} runs)")
    print(f"  first sync (whole layer) {first:.2f} s; first rsync {first_rsync:.2f} s")

    def change(run):
        # a.changed distinct files, different ones each round.
        step = n // a.changed
        vf("guest", "exec", "many", "--", "/bin/sh", "-c",
           "s=x; for k in 1 2 3 4 5 6 7 8 9 10; do s=$s$s; done; "
           f"j=0; while [ $j -lt {a.changed} ]; do i=$((j*{step}+{run})); echo \"round {run} $i $s\" > /m/d$((i/{per}))/f$i; j=$((j+1)); done")
    walls, frozen, rs = rounds("many", upper, to, change)
    results["many_files"] = {"files": n, "changed": a.changed, "first_sync_s": first, "first_rsync_s": first_rsync,
                             "sync_s": walls, "frozen_s": frozen, "rsync_s": rs}


results = {}
try:
    sh([VFLEET, "dev-cluster", "up", "--hosts", "2", "--dir", cluster, "--agent", AGENT])
    st = json.load(open(f"{cluster}/cluster.json"))
    for h in st["hosts"]:
        vf("host", "add", h["name"], "--address", h["address"], "--accept-new-host-key")
    vf("template", "add", "busybox", "--busybox")
    cases = a.cases.split(",")
    if "many" in cases:
        many_files(st)
    if "big" not in cases:
        raise SystemExit(0)
    # A running guest (its init sleeps) with a layer of a.files x 4 MB.
    vf("guest", "create", "big", "--template", "busybox", "--host", "host1", "--memory", "256M")
    vf("guest", "exec", "big", "--", "/bin/sh", "-c",
       f"for i in $(seq 1 {a.files}); do head -c 4194304 /dev/urandom > /f$i; done; head -c 1048576 /dev/urandom > /hot")
    upper = st["hosts"][0]["stateDirectory"] + "/guests/big/upper"
    t0 = time.perf_counter()
    vf("guest", "replicate", "big", "--to", "host2")
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    rsync(upper)
    first_rsync = time.perf_counter() - t0
    size_mb = a.files * 4 + 1
    print(f"== replication of a running guest with a {size_mb} MB layer, 1 MB rewritten between syncs ({a.runs} runs)")
    print(f"  first sync (whole layer) {first:.2f} s; first rsync {first_rsync:.2f} s")
    walls, frozen, rs = rounds("big", upper, None,
                               lambda run: vf("guest", "exec", "big", "--", "/bin/sh", "-c", "head -c 1048576 /dev/urandom > /hot"))
    results["replication"] = {"layer_mb": size_mb, "first_sync_s": first, "first_rsync_s": first_rsync,
                              "sync_s": walls, "frozen_s": frozen, "rsync_s": rs}
finally:
    try:
        vf("connections", "stop")
    except SystemExit:
        pass
    sh([VFLEET, "dev-cluster", "down", "--dir", cluster], check=False)
    sh(f"rm -rf {work}", check=False)
    json.dump(results, open(a.out, "w"), indent=2)
