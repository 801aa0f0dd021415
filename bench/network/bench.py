#!/usr/bin/env python3
"""The networking benchmark (see run.sh). Builds its own 2-host test cluster,
measures, tears it down. Every address is inside the cluster's namespaces."""
import argparse, json, os, re, shutil, statistics, subprocess, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--bin", required=True)
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--requests", type=int, default=100000)
ap.add_argument("--out", required=True)
a = ap.parse_args()
VFLEET = os.path.join(a.bin, "vfleet")
AGENT = os.path.join(a.bin, "vfleet-agent")
work = tempfile.mkdtemp(prefix="vfleet-bench-net-", dir="/var/tmp")
cluster = os.path.join(work, "cluster")
db = os.path.join(work, "fleet.db")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from fleetcmd import sh, vfleet_runner  # noqa: E402
vf = vfleet_runner(VFLEET, db, cluster)
started = []


def redis_template(root):
    """busybox plus Debian's redis-server and the libraries it links."""
    os.makedirs(root)
    sh(f"cp -a {state_dir('host1')}/templates/busybox/rootfs/. {root}/")
    binary = shutil.which("redis-server")
    libs = re.findall(r"(/\S+\.so[^\s]*)", sh(["ldd", binary]).stdout)
    for f in [binary] + libs:
        sh(["cp", "-L", "--parents", f, root])
    return root


def state_dir(host):
    return [h for h in st["hosts"] if h["name"] == host][0]["stateDirectory"]


def ns(host):
    return [h for h in st["hosts"] if h["name"] == host][0]["namespace"]


def addr(host):
    return [h for h in st["hosts"] if h["name"] == host][0]["address"]


def bench(target, port):
    out = sh(f"nsenter --net=/run/netns/{ns('host2')} redis-benchmark -h {target} -p {port} -q -n {a.requests} -c 50 -t set,get").stdout
    rps = {m.group(1).lower(): float(m.group(2)) for m in re.finditer(r"(SET|GET): ([\d.]+) requests per second", out)}
    return rps


results = {"rounds": []}
try:
    sh([VFLEET, "dev-cluster", "up", "--hosts", "2", "--dir", cluster, "--agent", AGENT])
    st = json.load(open(f"{cluster}/cluster.json"))
    k = int(st["bridge"][4:])
    for h in st["hosts"]:
        vf("host", "add", h["name"], "--address", h["address"], "--accept-new-host-key")
    vf("template", "add", "busybox", "--busybox")
    vf("template", "push", "busybox", "--host", "host1")
    vf("template", "add", "redis", redis_template(os.path.join(work, "redis-rootfs")))
    # Host-native: the same binary straight in host1's network namespace.
    native = subprocess.Popen(["nsenter", f"--net=/run/netns/{ns('host1')}", "/usr/bin/redis-server", "--bind", addr("host1"),
                               "--protected-mode", "no", "--save", "", "--appendonly", "no", "--port", "6379"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started.append(native)
    iso_ip = f"10.231.{k}.150"
    init = "/usr/bin/redis-server --bind 0.0.0.0 --protected-mode no --save '' --appendonly no --port 6379"
    vf("guest", "create", "riso", "--template", "redis", "--host", "host1", "--ip", iso_ip, "--init", init)
    priv_ip = f"10.233.{k}.2"
    vf("guest", "create", "rpriv", "--template", "redis", "--host", "host1", "--net", "private", "--ip", f"{priv_ip}/24",
       "--gateway", f"10.233.{k}.1", "--init", init)
    # host2 reaches the private network through host1, which routes for it.
    sh(f"nsenter --net=/run/netns/{ns('host1')} sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'")
    sh(f"ip -n {ns('host2')} route add 10.233.{k}.0/24 via {addr('host1')}")
    time.sleep(1)
    targets = [("host-native", addr("host1")), ("isolated guest", iso_ip), ("private guest", priv_ip)]
    for t in targets:  # warm up, and fail early if one does not answer
        sh(f"nsenter --net=/run/netns/{ns('host2')} redis-cli -h {t[1]} -p 6379 ping")
    print(f"== redis-benchmark -n {a.requests} -c 50 -t set,get from host2, {a.rounds} rounds (order rotates)")
    for r in range(a.rounds):
        row = {}
        for name, ip in targets[r % 3:] + targets[:r % 3]:
            row[name] = bench(ip, 6379)
        results["rounds"].append(row)
        print("  round", r + 1, {n: {op: round(v) for op, v in x.items()} for n, x in row.items()})
    for op in ("set", "get"):
        med = {n: statistics.median(rr[n][op] for rr in results["rounds"]) for n, _ in targets}
        results[op] = med
        print(f"  {op.upper()}: host-native {med['host-native']:.0f}/s, isolated {med['isolated guest']:.0f}/s "
              f"({med['isolated guest'] / med['host-native']:.3f} of native), private {med['private guest']:.0f}/s "
              f"({med['private guest'] / med['host-native']:.3f} of native)")
finally:
    for p in started:
        p.terminate()
        p.wait()
    # The connection keeper the vfleet commands above started ends with the cluster.
    try:
        vf("connections", "stop")
    except SystemExit:
        pass
    sh([VFLEET, "dev-cluster", "down", "--dir", cluster], check=False)
    sh(f"rm -rf {work}", check=False)
    json.dump(results, open(a.out, "w"), indent=2)
