#!/usr/bin/env bash
# Issue 15 item 9: what --disk costs. Per guest: create, start and stop time,
# and a 256 MiB write inside the guest (dd, conv=fsync), on the busybox
# template, with and without --disk 1G, same run, same state file system.
#
#   bash bench/disk/run.sh [RUNS]        (AGENT=path to use another build)
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-10}
if [ -z "${AGENT:-}" ]; then
  swift build -c release --static-swift-stdlib --product vfleet-agent >/dev/null
  AGENT=$PWD/.build/release/vfleet-agent
fi
WORK=$(mktemp -d /var/tmp/vfleet-bench-disk-XXXXXX)
ROOT=$WORK/state
chmod 711 "$WORK"   # user namespace guests reach their layers by path
cleanup() {
  for g in $("$AGENT" list --root "$ROOT" --format json 2>/dev/null | python3 -c 'import json,sys; [print(g["name"]) for g in json.load(sys.stdin)]' 2>/dev/null); do
    "$AGENT" destroy "$g" --force --root "$ROOT" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
  for h in /sys/fs/cgroup/*/vfleet-bench-disk; do rmdir "$h" 2>/dev/null || true; done
}
trap cleanup EXIT
mkdir -p "$ROOT"
echo '{"cgroupParent":"vfleet-bench-disk"}' > "$ROOT/agent.json"
"$AGENT" template build busybox bb --root "$ROOT" >/dev/null
python3 - "$AGENT" "$ROOT" "$RUNS" <<'PY'
import statistics, subprocess, sys, time
agent, root, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def run(*args):
    t = time.monotonic()
    subprocess.run([agent, *args, "--root", root], check=True, stdout=subprocess.DEVNULL)
    return (time.monotonic() - t) * 1000
def write(name):
    subprocess.run([agent, "exec", name, "--root", root, "--", "/bin/rm", "-f", "/f"], check=True)
    t = time.monotonic()
    subprocess.run([agent, "exec", name, "--root", root, "--", "/bin/dd", "if=/dev/zero", "of=/f", "bs=1M", "count=256", "conv=fsync"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return 256 / (time.monotonic() - t)
med = statistics.median
for label, extra in (("without --disk", []), ("with --disk 1G", ["--disk", "1G"])):
    create, start, stop, first, again = [], [], [], [], []
    for i in range(runs):
        name = f"d{'y' if extra else 'n'}{i}"
        create.append(run("create", name, "--template", "bb", "--init", "/bin/sleep 1000000", *extra))
        start.append(run("start", name))
        if i < 3:
            # The first write into a fresh layer (a fresh image: the state
            # file system allocates its blocks), then rewrites of the same file.
            first.append(write(name))
            again += [write(name) for _ in range(3)]
        stop.append(run("stop", name, "--timeout", "1"))
        run("destroy", name)
    print(f"{label}: create {med(create):.0f} ms, start {med(start):.0f} ms, stop {med(stop):.0f} ms (medians of {runs}); "
          f"256 MiB + fsync into a fresh layer {med(first):.0f} MiB/s, rewritten {med(again):.0f} MiB/s (medians of 3 and 9)")
PY
