#!/usr/bin/env python3
"""Where a move's time goes, step by step: a 2-host test cluster, the 200 MB /
5,051-entry guest of bench.py's section 1 (--shape big) or its 50,052 small
files of section 4 (--shape many), moved back and forth MOVES times
with --transport direct. Before each move, `tar | ssh tar` and `tar | ssh tar`
+ `sync -f` copy the same tree between the same hosts (untimed sync before
each). Prints each move's wall time, the peers', and per step the median of
the journal's begun -> done times (`vfleet ops show`).

  python3 bench/migration/steps.py --bin DIR [--shape big|many] [--moves 5] [--rounds 1] [--other-bin DIR2]

With --other-bin, each round runs the moves with DIR2's binaries then DIR's
on the same cluster and guest (the agents' binary is swapped between them),
so two builds are compared in the same minutes."""
import argparse, json, os, shutil, statistics, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--bin", required=True)
ap.add_argument("--other-bin")
ap.add_argument("--moves", type=int, default=5)
ap.add_argument("--rounds", type=int, default=1)
ap.add_argument("--shape", choices=["big", "many"], default="big")
a = ap.parse_args()
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from fleetcmd import sh, vfleet_runner  # noqa: E402

work = tempfile.mkdtemp(prefix="vfleet-bench-steps-", dir="/var/tmp")
cluster, binDir = f"{work}/cluster", f"{work}/bin"
os.makedirs(binDir)
os.makedirs(f"{work}/db")
vf = vfleet_runner(f"{binDir}/vfleet", f"{work}/db/fleet.db", cluster)
GUEST = a.shape
# bench.py's sections 1 and 4.
FILL = ("i=0; while [ $i -lt 50 ]; do mkdir -p /data/d$i; j=0; while [ $j -lt 100 ]; do "
        "head -c 40000 /dev/urandom > /data/d$i/f$j; j=$((j+1)); done; i=$((i+1)); done") if a.shape == "big" else (
        "i=0; while [ $i -lt 50 ]; do mkdir -p /data/d$i; cd /data/d$i; j=0; while [ $j -lt 1000 ]; do "
        "echo $i-$j > f$j; j=$((j+1)); done; i=$((i+1)); done")
STEPS = ["template", "precopy", "stop-source", "delta", "verify", "adopt", "start-destination", "placement", "cleanup-source"]


def use(binaries):
    """The cluster's binaries become `binaries`' (renamed over, so running ones keep theirs); the keeper restarts with them."""
    for b in ("vfleet", "vfleet-agent"):
        shutil.copy(os.path.join(binaries, b), f"{binDir}/.{b}")
        os.rename(f"{binDir}/.{b}", f"{binDir}/{b}")
    sh(["pkill", "-f", f"{binDir}/vfleet connections serve"], check=False)
    time.sleep(0.3)


def moves(label, n):
    st = json.load(open(f"{cluster}/cluster.json"))
    H = {h["name"]: h for h in st["hosts"]}
    admin = f"{cluster}/controller/admin_ed25519"
    ssh = f"ssh -i {admin} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
    walls, tars, syncs, downs, per = [], [], [], [], {s: [] for s in STEPS}
    for _ in range(n):
        src = json.loads(vf("guest", "show", GUEST, "--format", "json").stdout)["host"]
        dst = "host2" if src == "host1" else "host1"
        S, D = H[src], H[dst]
        upper = f"{S['stateDirectory']}/guests/{GUEST}/upper"
        nsenter = f"nsenter --net=/run/netns/{S['namespace']}"
        target = "/var/lib/vfleet/steps-copy"
        for then, into in (("", tars), (f" && sync -f {target}", syncs)):
            sh("sync")
            t0 = time.perf_counter()
            sh(f"{nsenter} sh -c \"tar --xattrs --numeric-owner -C {upper} -cf - . | {ssh} root@{D['address']} "
               f"'mkdir -p {target} && tar --xattrs --numeric-owner -C {target} -xf -{then}'\"")
            into.append(time.perf_counter() - t0)
            sh(f"{nsenter} {ssh} root@{D['address']} rm -rf {target}")
        sh("sync")
        t0 = time.perf_counter()
        r = json.loads(vf("guest", "move", GUEST, "--to", dst, "--transport", "direct", "--format", "json").stdout)
        walls.append(time.perf_counter() - t0)
        downs.append(r.get("downtimeSeconds") or 0)
        show = json.loads(vf("ops", "show", str(r["operation"]), "--format", "json").stdout)
        begun = {}
        for x in show["steps"]:
            if x["state"] == "begun":
                begun[x["step"]] = x["at"]
            elif x["state"] == "done" and x["step"] in begun:
                per[x["step"]].append((x["at"] - begun[x["step"]]) * 1000)
    m = statistics.median
    print(f"== {label}: {n} moves; medians: move {m(walls):.3f} s, tar | ssh tar {m(tars):.3f} s, "
          f"+ sync -f {m(syncs):.3f} s, downtime {m(downs):.3f} s; move / tar {m([w / t for w, t in zip(walls, tars)]):.2f}, "
          f"move / (tar + sync) {m([w / t for w, t in zip(walls, syncs)]):.2f}")
    print("   moves s: " + ", ".join(f"{w:.2f}" for w in walls))
    for s in STEPS:
        if per[s]:
            print(f"   {s:18s} {m(per[s]):7.1f} ms   (" + ", ".join(f"{x:.0f}" for x in per[s]) + ")")
    tail = sum(m(per[s]) for s in STEPS[2:] if per[s])
    print(f"   {'after the pre-copy':18s} {tail:7.1f} ms")


try:
    use(a.bin)
    sh([f"{binDir}/vfleet", "dev-cluster", "up", "--hosts", "2", "--disk-size", "8G", "--dir", cluster, "--agent", f"{binDir}/vfleet-agent"])
    for h in json.load(open(f"{cluster}/cluster.json"))["hosts"]:
        vf("host", "add", h["name"], "--address", h["address"], "--accept-new-host-key")
    vf("template", "add", "busybox", "--busybox")
    vf("template", "push", "busybox", "--all")
    vf("guest", "create", GUEST, "--template", "busybox", "--host", "host1")
    vf("guest", "exec", GUEST, "--timeout", "600s", "--", "/bin/sh", "-c", FILL)
    for r in range(a.rounds):
        if a.other_bin:
            use(a.other_bin)
            moves(f"round {r + 1}, {a.other_bin}", a.moves)
            use(a.bin)
        moves(f"round {r + 1}, {a.bin}", a.moves)
finally:
    sh([f"{binDir}/vfleet", "dev-cluster", "down", "--dir", cluster], check=False)
    shutil.rmtree(work, ignore_errors=True)
