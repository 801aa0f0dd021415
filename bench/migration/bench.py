#!/usr/bin/env python3
"""The migration benchmark (see run.sh). Builds its own test cluster, measures,
tears it down. Prints medians and writes all samples to --out."""
import argparse, json, os, statistics, subprocess, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--bin", required=True)
ap.add_argument("--runs", type=int, default=5)
ap.add_argument("--out", required=True)
ap.add_argument("--sections", default="1,2,3,4", help="which parts to run, e.g. 4 or 1,4")
a = ap.parse_args()
sections = {int(x) for x in a.sections.split(",")}
VFLEET = os.path.join(a.bin, "vfleet")
AGENT = os.path.join(a.bin, "vfleet-agent")
work = tempfile.mkdtemp(prefix="vfleet-bench-mig-", dir="/var/tmp")
cluster = os.path.join(work, "cluster")
db = os.path.join(work, "db", "fleet.db")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from fleetcmd import sh, vfleet_runner  # noqa: E402
vf = vfleet_runner(VFLEET, db, cluster)


def wire(host):
    """Bytes through a test host's veth (both directions)."""
    i = int(host[4:])
    dev = f"vf{state['index']}h{i}"
    rx = int(open(f"/sys/class/net/{dev}/statistics/rx_bytes").read())
    tx = int(open(f"/sys/class/net/{dev}/statistics/tx_bytes").read())
    return rx + tx


def controller_wire():
    """Bytes to and from the controller's own stack on the cluster's bridge:
    a bridge device counts only what the host itself sends or receives, not
    what it forwards between two test hosts."""
    dev = state["bridge"]
    rx = int(open(f"/sys/class/net/{dev}/statistics/rx_bytes").read())
    tx = int(open(f"/sys/class/net/{dev}/statistics/tx_bytes").read())
    return rx + tx


# CPU accounting by cgroup (v2 cpu.stat, which counts every process that
# ever ran in the group, live or exited): the controller's side (this script's
# vfleet commands and the connection keeper they start, libssh included) in
# one group, each test host's sshd and everything it starts (sessions,
# `vfleet-agent rpc` processes, their transfer threads) in one group per host.
# A guest's own processes leave for the guest's cgroup, so they are not
# counted. Reading /proc/PID/stat of sshd instead (children reaped) missed
# the agents still running or not yet reaped.
CGROUP_ROOT = next((d for d in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup")
                    if os.path.exists(f"{d}/cgroup.procs") and os.path.exists(f"{d}/cgroup.stat")), None)
cgroups = []


def cgroup_enter(name, pid):
    """Moves `pid` (and so everything it starts later) into a new cgroup `name`."""
    path = f"{CGROUP_ROOT}/{name}"
    os.makedirs(path, exist_ok=True)
    cgroups.append(path)
    with open(f"{path}/cgroup.procs", "w") as f:
        f.write(str(pid))
    return path


def cgroup_cpu(path):
    """CPU seconds used in the cgroup so far."""
    for line in open(f"{path}/cpu.stat"):
        key, value = line.split()
        if key == "usage_usec":
            return int(value) / 1e6
    raise SystemExit(f"no usage_usec in {path}/cpu.stat")


def controller_cpu():
    return cgroup_cpu(state["controllerCgroup"])


def agents_cpu():
    """CPU seconds of everything the test hosts' sshd started (sessions,
    vfleet-agent processes), both hosts."""
    return sum(cgroup_cpu(h["cgroup"]) for h in state["hosts"].values())


def cpu_share(controller, agents):
    """The controller's share of a move's CPU, per sample."""
    return [c / (c + g) for c, g in zip(controller, agents) if c + g > 0]


def med(xs):
    return statistics.median(xs) if xs else None


def rsync_cmd(nsenter, upper, address, target):
    return f"{nsenter} rsync -aHAX --numeric-ids -e 'ssh {ssh_opts}' {upper}/ root@{address}:{target}/"


def endpoints(current, guest):
    """The next move's source and destination host records, the guest's layer at the
    source, and the prefix that runs a command in the source's network namespace."""
    src, dst = current, ("host2" if current == "host1" else "host1")
    S, D = state["hosts"][src], state["hosts"][dst]
    return src, dst, S, D, f"{S['stateDirectory']}/guests/{guest}/upper", f"nsenter --net=/run/netns/{S['namespace']}"


def tar_cmd(nsenter, upper, address, target, sync=False):
    then = f" && sync -f {target}" if sync else ""
    return (f"{nsenter} sh -c \"tar --xattrs --numeric-owner -C {upper} -cf - . | ssh {ssh_opts} root@{address} "
            f"'mkdir -p {target} && tar --xattrs --numeric-owner -C {target} -xf -{then}'\"")


results = {}
try:
    # Each test host gets a disk of its own (a loop-mounted ext4 with a
    # journal), as a real host has. This machine's root file system has no
    # journal, and there ext4 scans every inode deleted in the last minutes on
    # each create (recently_deleted()): extracting these 5,000 files took
    # 3-4 s after a deletion against 0.3 s on a journaled file system, for
    # every tool alike, which would measure the file system, not the tools.
    if CGROUP_ROOT is None:
        raise SystemExit("no cgroup v2 hierarchy (cpu.stat) to account the move's CPU in")
    tag = f"vfleet-bench-mig-{os.getpid()}"
    controller_cgroup = cgroup_enter(f"{tag}-controller", os.getpid())
    sh([VFLEET, "dev-cluster", "up", "--hosts", "3", "--disk-size", "16G", "--dir", cluster, "--agent", AGENT])
    st = json.load(open(f"{cluster}/cluster.json"))
    state = {"index": int(st["bridge"][4:]), "bridge": st["bridge"], "hosts": {h["name"]: h for h in st["hosts"]},
             "controllerCgroup": controller_cgroup}
    # Before any session: every sshd child from now on is in its host's group.
    for h in state["hosts"].values():
        h["cgroup"] = cgroup_enter(f"{tag}-{h['name']}", h["sshdPid"])
    for h in st["hosts"]:
        vf("host", "add", h["name"], "--address", h["address"], "--accept-new-host-key")
    vf("template", "add", "busybox", "--busybox")
    vf("template", "push", "busybox", "--all")
    admin = f"{cluster}/controller/admin_ed25519"
    ssh_opts = f"-i {admin} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"

    # 1. ~200 MB in ~5,000 files.
    if 1 in sections:
        vf("guest", "create", "big", "--template", "busybox", "--host", "host1")
        vf("guest", "exec", "big", "--timeout", "600s", "--", "/bin/sh", "-c",
           "i=0; while [ $i -lt 50 ]; do mkdir -p /data/d$i; j=0; while [ $j -lt 100 ]; do "
           "head -c 40000 /dev/urandom > /data/d$i/f$j; j=$((j+1)); done; i=$((i+1)); done")
        upper = f"{state['hosts']['host1']['stateDirectory']}/guests/big/upper"
        files = int(sh(f"find {upper} | wc -l").stdout)
        size = int(sh(f"du -sb {upper}").stdout.split()[0])
        print(f"== 1. move a guest layer of {files} entries, {size/1e6:.0f} MB between two test hosts ({a.runs} runs)")
        vf_times, vf_bytes, rs_times, rs_bytes, tar_times, tar_bytes, tar_sync_times = [], [], [], [], [], [], []
        hop_times, relay_times = [], []
        vf_cpu, relay_move_times, relay_move_bytes, relay_cpu = [], [], [], []
        vf_agents_cpu, relay_agents_cpu, vf_controller_bytes, relay_controller_bytes = [], [], [], []
        vf_controller_cpu, relay_controller_cpu = [], []
        current = "host1"
        for run in range(a.runs):
            # The peers copy the same tree from the source host to the destination
            # host over ssh, as root, from inside the source's network namespace,
            # into the destination's own disk (its /var/lib/vfleet, as sshd there
            # sees it), where the move writes too.
            src, dst, S, D, upper, nsenter = endpoints(current, "big")
            target = f"/var/lib/vfleet/bench-copy-{run}"
            remove_target = f"{nsenter} ssh {ssh_opts} root@{D['address']} rm -rf {target}"
            # Every timed run starts with nothing dirty (untimed sync): no tool pays
            # for the write-back of the one before it.
            sh("sync")
            w0 = wire(dst); t0 = time.perf_counter()
            sh(rsync_cmd(nsenter, upper, D['address'], target))
            rs_times.append(time.perf_counter() - t0); rs_bytes.append(wire(dst) - w0)
            sh(remove_target)
            sh("sync")
            w0 = wire(dst); t0 = time.perf_counter()
            sh(tar_cmd(nsenter, upper, D['address'], target))
            tar_times.append(time.perf_counter() - t0); tar_bytes.append(wire(dst) - w0)
            sh(remove_target)
            # The same, made durable like a move is (the move syncs the staged
            # copy before the source copy may go): sync -f = syncfs of that disk.
            sh("sync")
            t0 = time.perf_counter()
            sh(tar_cmd(nsenter, upper, D['address'], target, sync=True))
            tar_sync_times.append(time.perf_counter() - t0)
            sh(remove_target)
            sh("sync")
            a0 = agents_cpu(); b0 = controller_wire(); k0 = controller_cpu()
            w0 = wire(dst); t0 = time.perf_counter(); c0 = os.times()
            r = json.loads(vf("guest", "move", "big", "--to", dst, "--transport", "direct", "--format", "json").stdout)
            vf_times.append(time.perf_counter() - t0); vf_bytes.append(wire(dst) - w0)
            c1 = os.times()
            vf_controller_bytes.append(controller_wire() - b0)
            time.sleep(0.5)  # whatever the agents still do for the move (cgroups count exited processes too)
            vf_agents_cpu.append(agents_cpu() - a0)
            vf_controller_cpu.append(controller_cpu() - k0)
            # The vfleet process's own CPU (without the connection keeper).
            vf_cpu.append(c1.children_user + c1.children_system - c0.children_user - c0.children_system)
            assert all(t.endswith("direct") for t in r.get("transports", [])), r.get("transports")
            # Back through the controller's relay (issue 4's path), the same
            # tree between the same two hosts, the other way.
            sh("sync")
            a0 = agents_cpu(); b0 = controller_wire(); k0 = controller_cpu()
            w0 = wire(src); t0 = time.perf_counter(); c0 = os.times()
            vf("guest", "move", "big", "--to", src, "--transport", "relay", "--format", "json")
            relay_move_times.append(time.perf_counter() - t0); relay_move_bytes.append(wire(src) - w0)
            c1 = os.times()
            relay_cpu.append(c1.children_user + c1.children_system - c0.children_user - c0.children_system)
            relay_controller_bytes.append(controller_wire() - b0)
            time.sleep(0.5)
            relay_agents_cpu.append(agents_cpu() - a0)
            relay_controller_cpu.append(controller_cpu() - k0)
            # The transport alone, no files: the same number of bytes of zeros
            # over one ssh hop (as tar's), and relayed through the machine the
            # controller runs on by two OpenSSH clients (as a move's path is).
            zeros = f"head -c {size} /dev/zero"
            t0 = time.perf_counter()
            sh(f"{nsenter} sh -c \"{zeros} | ssh {ssh_opts} root@{D['address']} 'cat > /dev/null'\"")
            hop_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            sh(f"ssh {ssh_opts} root@{S['address']} '{zeros}' | ssh {ssh_opts} root@{D['address']} 'cat > /dev/null'")
            relay_times.append(time.perf_counter() - t0)
        results["move_200MB"] = {
            "entries": files, "bytes": size,
            "vfleet_move_s": vf_times, "vfleet_wire_bytes": vf_bytes, "vfleet_cpu_s": vf_cpu,
            "vfleet_agents_cpu_s": vf_agents_cpu, "vfleet_relay_agents_cpu_s": relay_agents_cpu,
            "vfleet_controller_cpu_s": vf_controller_cpu, "vfleet_relay_controller_cpu_s": relay_controller_cpu,
            "vfleet_controller_wire_bytes": vf_controller_bytes, "vfleet_relay_controller_wire_bytes": relay_controller_bytes,
            "vfleet_relay_move_s": relay_move_times, "vfleet_relay_wire_bytes": relay_move_bytes, "vfleet_relay_cpu_s": relay_cpu,
            "rsync_s": rs_times, "rsync_wire_bytes": rs_bytes,
            "tar_ssh_s": tar_times, "tar_ssh_wire_bytes": tar_bytes,
            "tar_ssh_sync_s": tar_sync_times,
            "zeros_one_ssh_hop_s": hop_times, "zeros_ssh_relay_two_hops_s": relay_times,
        }
        for name, ts, bs in [("vfleet move, direct", vf_times, vf_bytes), ("vfleet move, relay", relay_move_times, relay_move_bytes), ("rsync -aHAX over ssh", rs_times, rs_bytes),
                             ("tar | ssh tar", tar_times, tar_bytes), ("tar | ssh tar + sync -f", tar_sync_times, tar_bytes)]:
            print(f"  {name:24} median {med(ts):6.2f} s  wire {med(bs)/1e6:7.1f} MB  (ratio to vfleet {med(ts)/med(vf_times):.2f})")
        ratios = [m / min(r_, t_) for m, r_, t_ in zip(vf_times, rs_times, tar_times)]
        print(f"  direct / faster of rsync and tar, median per round {med(ratios):.2f} ({', '.join(f'{x:.2f}' for x in ratios)})")
        ratios = [m / t_ for m, t_ in zip(vf_times, tar_sync_times)]
        print(f"  direct / tar + sync, median per round {med(ratios):.2f} ({', '.join(f'{x:.2f}' for x in ratios)})")
        print(f"  vfleet process CPU       direct {med(vf_cpu):.2f} s, relay {med(relay_cpu):.2f} s")
        print(f"  controller CPU (vfleet + connection keeper, cgroup) direct {med(vf_controller_cpu):.2f} s, relay {med(relay_controller_cpu):.2f} s")
        print(f"  hosts' CPU (sshd and agents, both hosts, cgroups) direct {med(vf_agents_cpu):.2f} s, relay {med(relay_agents_cpu):.2f} s")
        shares, relay_shares = cpu_share(vf_controller_cpu, vf_agents_cpu), cpu_share(relay_controller_cpu, relay_agents_cpu)
        results["move_200MB"]["controller_share"] = shares
        print(f"  controller's share of the move's CPU, median per sample: direct {100*med(shares):.1f} % "
              f"(max {100*max(shares):.1f} %), relay {100*med(relay_shares):.1f} %")
        print(f"  bytes through the controller: direct {med(vf_controller_bytes)/1e6:.2f} MB, relay {med(relay_controller_bytes)/1e6:.1f} MB")
        for name, ts in [("zeros, one ssh hop", hop_times), ("zeros, ssh | ssh relay", relay_times)]:
            print(f"  {name:24} median {med(ts):6.2f} s  (transport only, {size/1e6:.0f} MB; ratio to vfleet {med(ts)/med(vf_times):.2f})")
        vf("guest", "destroy", "big", "--force")

    # 2. Downtime: 1 GB layer, 1 MB rewritten continuously by a process inside.
    if 2 in sections:
        print(f"== 2. downtime of a guest with a 1 GB own layer, 1 MB rewritten continuously ({a.runs} runs)")
        vf("guest", "create", "gig", "--template", "busybox", "--host", "host1")
        vf("guest", "exec", "gig", "--timeout", "900s", "--", "/bin/sh", "-c",
           "i=0; while [ $i -lt 16 ]; do head -c 67108864 /dev/urandom > /blob$i; i=$((i+1)); done")
        downs, deltas, transports = [], [], []
        for run in range(a.runs):
            vf("guest", "exec", "gig", "--", "/bin/sh", "-c",
               "(while :; do head -c 1048576 /dev/urandom > /hot.tmp; mv /hot.tmp /hot; sleep 0.05; done) >/dev/null 2>&1 &")
            dst = "host2" if run % 2 == 0 else "host1"
            r = json.loads(vf("guest", "move", "gig", "--to", dst, "--format", "json").stdout)
            downs.append(r["downtimeSeconds"]); deltas.append(r["deltaBytes"]); transports.append(r.get("transports"))
            vf("guest", "restart", "gig")  # stops the writer for the next run
        results["downtime_1GB"] = {"downtime_s": downs, "delta_bytes": deltas, "transports": transports}
        print(f"  transports: {transports[0]}")
        print(f"  downtime median {med(downs):.3f} s (min {min(downs):.3f}, max {max(downs):.3f}); delta after stop median {med(deltas)/1e6:.2f} MB")
        vf("guest", "destroy", "gig", "--force")

    # 3. Evacuation of 10 guests, parallel 4 against 1.
    if 3 in sections:
        print(f"== 3. evacuate a host of 10 guests (8 MB own layer each): --max-parallel 4 against 1 ({a.runs} runs)")
        for i in range(10):
            vf("guest", "create", f"ev{i}", "--template", "busybox", "--host", "host1", "--memory", "32M")
            vf("guest", "exec", f"ev{i}", "--", "/bin/sh", "-c", "head -c 8388608 /dev/urandom > /data")
        par, seq = [], []
        for run in range(a.runs):
            for n, bucket in ((4, par), (1, seq)):
                t0 = time.perf_counter()
                vf("host", "evacuate", "host1", "--max-parallel", str(n))
                bucket.append(time.perf_counter() - t0)
                vf("host", "restore", "host1", "--max-parallel", "4")
        results["evacuate_10"] = {"parallel4_s": par, "sequential_s": seq}
        print(f"  --max-parallel 4 median {med(par):.2f} s; one at a time median {med(seq):.2f} s; speed-up {med(seq)/med(par):.2f}x")

    # 4. Many small files: 50,000 files of a few bytes in 50 directories.
    # What dominates here is the work per file, not the bytes.
    if 4 in sections:
        vf("guest", "create", "many", "--template", "busybox", "--host", "host1")
        vf("guest", "exec", "many", "--timeout", "600s", "--", "/bin/sh", "-c",
           "i=0; while [ $i -lt 50 ]; do mkdir -p /data/d$i; cd /data/d$i; j=0; while [ $j -lt 1000 ]; do "
           "echo $i-$j > f$j; j=$((j+1)); done; i=$((i+1)); done")
        upper = f"{state['hosts']['host1']['stateDirectory']}/guests/many/upper"
        files = int(sh(f"find {upper} | wc -l").stdout)
        print(f"== 4. move a guest layer of {files} small files between two test hosts ({a.runs} runs)")
        mv_times, mv_downs, rs_times, tar_times, relay_times, relay_downs = [], [], [], [], [], []
        mv_agents_cpu, mv_controller_cpu = [], []
        current = "host1"
        for run in range(a.runs):
            src, dst, S, D, upper, nsenter = endpoints(current, "many")
            target = f"/var/lib/vfleet/bench-many-{run}"
            for cmd, bucket in ((rsync_cmd(nsenter, upper, D['address'], target), rs_times),
                                (tar_cmd(nsenter, upper, D['address'], target), tar_times)):
                sh("sync")
                t0 = time.perf_counter()
                sh(cmd)
                bucket.append(time.perf_counter() - t0)
                sh(f"{nsenter} ssh {ssh_opts} root@{D['address']} rm -rf {target}")
            sh("sync")
            a0 = agents_cpu(); k0 = controller_cpu()
            t0 = time.perf_counter()
            r = json.loads(vf("guest", "move", "many", "--to", dst, "--transport", "direct", "--format", "json").stdout)
            mv_times.append(time.perf_counter() - t0); mv_downs.append(r["downtimeSeconds"])
            time.sleep(0.5)
            mv_agents_cpu.append(agents_cpu() - a0); mv_controller_cpu.append(controller_cpu() - k0)
            assert all(t.endswith("direct") for t in r.get("transports", [])), r.get("transports")
            # Back through the controller's relay, the same tree.
            sh("sync")
            t0 = time.perf_counter()
            r = json.loads(vf("guest", "move", "many", "--to", src, "--transport", "relay", "--format", "json").stdout)
            relay_times.append(time.perf_counter() - t0); relay_downs.append(r["downtimeSeconds"])
        results["move_many_files"] = {"entries": files, "vfleet_move_s": mv_times, "vfleet_downtime_s": mv_downs,
                                      "vfleet_relay_move_s": relay_times, "vfleet_relay_downtime_s": relay_downs,
                                      "rsync_s": rs_times, "tar_ssh_s": tar_times,
                                      "vfleet_controller_cpu_s": mv_controller_cpu, "vfleet_agents_cpu_s": mv_agents_cpu}
        for name, ts in [("vfleet move, direct", mv_times), ("vfleet move, relay", relay_times), ("rsync -aHAX over ssh", rs_times), ("tar | ssh tar", tar_times)]:
            print(f"  {name:24} median {med(ts):6.2f} s  (ratio to vfleet {med(ts)/med(mv_times):.2f})")
        print(f"  vfleet downtime median direct {med(mv_downs):.3f} s (min {min(mv_downs):.3f}, max {max(mv_downs):.3f}), relay {med(relay_downs):.3f} s")
        ratios = [m / min(r_, t_) for m, r_, t_ in zip(mv_times, rs_times, tar_times)]
        print(f"  direct / faster of rsync and tar, median per round {med(ratios):.2f} ({', '.join(f'{x:.2f}' for x in ratios)})")
        shares = cpu_share(mv_controller_cpu, mv_agents_cpu)
        print(f"  direct: controller CPU {med(mv_controller_cpu):.2f} s, hosts' CPU {med(mv_agents_cpu):.2f} s, "
              f"controller's share median {100*med(shares):.1f} % (max {100*max(shares):.1f} %)")
        vf("guest", "destroy", "many", "--force")
finally:
    # The connection keeper the vfleet commands above started ends with the cluster.
    try:
        vf("connections", "stop")
    except SystemExit:
        pass
    sh([VFLEET, "dev-cluster", "down", "--dir", cluster], check=False)
    sh(f"rm -rf {work}", check=False)
    # Out of the accounting groups (back to the root), then remove them.
    if cgroups:
        with open(f"{CGROUP_ROOT}/cgroup.procs", "w") as f:
            f.write(str(os.getpid()))
    # A killed host's processes (or the keeper) may take a moment to exit.
    for _ in range(50):
        for path in list(cgroups):
            try:
                os.rmdir(path)
                cgroups.remove(path)
            except OSError:
                pass
        if not cgroups:
            break
        time.sleep(0.1)
    json.dump(results, open(a.out, "w"), indent=2)
