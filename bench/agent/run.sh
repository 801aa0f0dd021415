#!/usr/bin/env bash
# Issue 2 benchmark: (1) from the command to /bin/true run and exited inside a
# new context (new pid, mount, uts, ipc namespaces) on one busybox root:
# vfleet-agent against bubblewrap, runc and crun (Debian packages), same run;
# (2) `vfleet-agent create` from a template of ~5,000 files against `cp -a`,
# and create from the 2 MB busybox template, to show create does not grow
# with the template. Release build. Results: bench/results/agent-*.json.
#
#   bash bench/agent/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-20}
bash scripts/install-deps
swift build -c release --static-swift-stdlib --product vfleet-agent >/dev/null
AGENT=$PWD/.build/release/vfleet-agent
WORK=$(mktemp -d /var/tmp/vfleet-bench-XXXXXX)
ROOT=$WORK/state
OUT=bench/results
mkdir -p "$OUT"
cleanup() {
  for g in $("$AGENT" list --root "$ROOT" --format json 2>/dev/null | python3 -c 'import json,sys; [print(g["name"]) for g in json.load(sys.stdin)]' 2>/dev/null); do
    "$AGENT" destroy "$g" --force --root "$ROOT" >/dev/null 2>&1 || true
  done
  runc delete -f vfleet-bench >/dev/null 2>&1 || true
  rm -rf "$WORK"
  for h in /sys/fs/cgroup/*/vfleet-bench; do rmdir "$h" 2>/dev/null || true; done
}
trap cleanup EXIT
# Guests have user namespaces by default: their root reaches its mount point
# by path as an unprivileged host uid, so the directory above the state root
# must be searchable (as /var/lib is).
chmod 711 "$WORK"
mkdir -p "$ROOT"
echo '{"cgroupParent":"vfleet-bench"}' > "$ROOT/agent.json"

"$AGENT" template build busybox bb --root "$ROOT" >/dev/null
ROOTFS=$ROOT/templates/bb/rootfs
"$AGENT" create once --template bb --init /bin/true --root "$ROOT" >/dev/null

# An OCI bundle for runc and crun on the same root file system, with the
# same four namespaces and no network namespace.
BUNDLE=$WORK/bundle
mkdir -p "$BUNDLE"
(cd "$BUNDLE" && runc spec)
python3 - "$BUNDLE/config.json" "$ROOTFS" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["root"] = {"path": sys.argv[2], "readonly": True}
c["linux"]["namespaces"] = [{"type": t} for t in ("pid", "mount", "uts", "ipc")]
json.dump(c, open(p, "w"), indent=1)
PY

echo "== context start: /bin/true in new pid/mount/uts/ipc namespaces ($RUNS runs each)"
python3 bench/lib/timeit.py --runs "$RUNS" --out "$OUT/agent-start.json" \
  "vfleet-agent start --wait=$AGENT start once --wait --root $ROOT" \
  "bubblewrap=bwrap --unshare-pid --unshare-ipc --unshare-uts --ro-bind $ROOTFS / --proc /proc --dev /dev /bin/true" \
  "runc run=runc run --bundle $BUNDLE vfleet-bench" \
  "crun run=crun run --bundle $BUNDLE vfleet-bench"

# A template of about 5,000 files (busybox plus 4,800 files of 1-16 KiB).
BIG=$WORK/bigtree
cp -a "$ROOTFS" "$BIG"
python3 - "$BIG" <<'PY'
import os, sys, random
root = sys.argv[1]
rnd = random.Random(42)
for d in range(48):
    dd = os.path.join(root, "usr/share/bench", "d%02d" % d)
    os.makedirs(dd, exist_ok=True)
    for f in range(100):
        with open(os.path.join(dd, "f%03d" % f), "wb") as fh:
            fh.write(rnd.randbytes(rnd.randint(1024, 16384)))
PY
"$AGENT" template import big "$BIG" --root "$ROOT" >/dev/null
FILES=$(find "$BIG" | wc -l)
SIZE=$(du -sh "$BIG" | cut -f1)
echo "== create: template of $FILES files ($SIZE) against cp -a of it ($RUNS runs each)"
python3 bench/lib/timeit.py --runs "$RUNS" --out "$OUT/agent-create.json" \
  --cleanup "vfleet-agent create (big)=$AGENT destroy g{i} --root $ROOT" \
  --cleanup "vfleet-agent create (busybox)=$AGENT destroy s{i} --root $ROOT" \
  --cleanup "cp -a (big)=rm -rf $WORK/copy{i}" \
  "vfleet-agent create (big)=$AGENT create g{i} --template big --root $ROOT" \
  "vfleet-agent create (busybox)=$AGENT create s{i} --template bb --root $ROOT" \
  "cp -a (big)=cp -a $BIG $WORK/copy{i}"

python3 bench/lib/report.py "$OUT/agent-start.json" "vfleet-agent start --wait"
python3 bench/lib/report.py "$OUT/agent-create.json" "vfleet-agent create (big)"
