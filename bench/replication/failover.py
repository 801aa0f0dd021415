#!/usr/bin/env python3
"""The failover benchmark (see failover.sh). Builds a test cluster per run,
measures, tears it down. Prints medians and writes all samples to --out."""
import argparse, json, os, signal, statistics, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--bin", required=True)
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--guests", type=int, default=10)
ap.add_argument("--out", required=True)
a = ap.parse_args()
VFLEET = os.path.join(a.bin, "vfleet")
AGENT = os.path.join(a.bin, "vfleet-agent")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from fleetcmd import sh, vfleet_runner  # noqa: E402


def med(xs):
    return statistics.median(xs) if xs else None


def cgroup_pids(leaf):
    """Pids in a cgroup whose path ends in `leaf`, from /proc (every hierarchy)."""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            text = open(f"/proc/{p}/cgroup").read()
        except OSError:
            continue
        if any(l.endswith(leaf) or (leaf + "/") in l for l in text.splitlines()):
            out.append(int(p))
    return out


def descendants(pid):
    kids, queue = [], [pid]
    while queue:
        p = queue.pop()
        try:
            children = open(f"/proc/{p}/task/{p}/children").read().split()
        except OSError:
            continue
        for c in map(int, children):
            kids.append(c)
            queue.append(c)
    return kids


def kill_host(h, guests):
    """The host dies: its guests' processes, its agents, its link."""
    for _ in range(20):
        pids = [p for g in guests for p in cgroup_pids("/" + h["cgroupParent"] + "/" + g)]
        if not pids:
            break
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    for p in descendants(h["sshdPid"]):
        try:
            if open(f"/proc/{p}/comm").read().strip().startswith("vfleet-agent"):
                os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    sh(["ip", "-n", h["namespace"], "link", "set", "eth0", "down"])


def one_run(run):
    work = tempfile.mkdtemp(prefix="vfleet-bench-failover-", dir="/var/tmp")
    cluster = os.path.join(work, "cluster")
    db = os.path.join(work, "db", "fleet.db")
    vf = vfleet_runner(VFLEET, db, cluster)
    try:
        sh([VFLEET, "dev-cluster", "up", "--hosts", "3", "--dir", cluster, "--agent", AGENT])
        st = json.load(open(f"{cluster}/cluster.json"))
        for h in st["hosts"]:
            vf("host", "add", h["name"], "--address", h["address"], "--accept-new-host-key")
        vf("template", "add", "busybox", "--busybox")
        names = [f"g{i}" for i in range(1, a.guests + 1)]
        for n in names:
            vf("guest", "create", n, "--template", "busybox", "--host", "host1", "--memory", "64M")
            vf("guest", "exec", n, "--", "/bin/sh", "-c", "head -c 1048576 /dev/urandom > /data")
            vf("guest", "replicate", n)
        kill_host(st["hosts"][0], names)
        t0 = time.perf_counter()
        r = vf("host", "fail", "host1", "--reason", "benchmark", "--format", "json", check=False)
        wall = time.perf_counter() - t0
        report = json.loads(r.stdout)
        failed = [f for f in report["failovers"] if f.get("error")]
        if r.returncode != 0 or failed or len(report["failovers"]) != a.guests:
            raise SystemExit(f"host fail did not fail over all {a.guests} guests: {r.stdout}\n{r.stderr}")
        # Running, as the kernel says: each guest's cgroup on its standby has processes.
        hosts = {h["name"]: h for h in st["hosts"]}
        for f in report["failovers"]:
            if not cgroup_pids("/" + hosts[f["standby"]]["cgroupParent"] + "/" + f["guest"]):
                raise SystemExit(f"guest {f['guest']} does not run on {f['standby']}")
        spread = {}
        for f in report["failovers"]:
            spread[f["standby"]] = spread.get(f["standby"], 0) + 1
        ages = [f["recoveryPointAgeSeconds"] for f in report["failovers"]]
        print(f"  run {run + 1}: all {a.guests} running on their standby hosts {wall:.2f} s after `host fail` began "
              f"(the command itself {report['seconds']:.2f} s, of which the alive check {report['aliveCheckSeconds']:.2f} s); standbys {spread}; recovery points {min(ages):.1f}-{max(ages):.1f} s old")
        return wall, report["seconds"], report["aliveCheckSeconds"]
    finally:
        try:
            vf("connections", "stop", check=False)
        except SystemExit:
            pass
        sh([VFLEET, "dev-cluster", "down", "--dir", cluster], check=False)
        sh(f"rm -rf {work}", check=False)


results = {"guests": a.guests, "wall_s": [], "command_s": [], "alive_check_s": []}
try:
    print(f"== failover of {a.guests} replicated guests after `vfleet host fail` ({a.runs} runs, a fresh 3-host cluster each)")
    for run in range(a.runs):
        wall, cmd, alive = one_run(run)
        results["wall_s"].append(wall)
        results["command_s"].append(cmd)
        results["alive_check_s"].append(alive)
    w = results["wall_s"]
    rest = [x - y for x, y in zip(results["command_s"], results["alive_check_s"])]
    print(f"  until all run on their standby: median {med(w):.2f} s (min {min(w):.2f}, max {max(w):.2f}); goal < 10 s")
    print(f"  of which the alive check: median {med(results['alive_check_s']):.2f} s; the failovers themselves: median {med(rest):.2f} s")
finally:
    json.dump(results, open(a.out, "w"), indent=2)
