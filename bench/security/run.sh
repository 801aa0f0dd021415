#!/usr/bin/env bash
# Issue 15 benchmark: what the isolation defences cost, each against the same
# run without it. (1) exec round trip of /bin/true: vfleet-agent exec (stdio
# relayed, seccomp filter) against the same guest unfiltered
# (--allow-syscall all) and against util-linux's nsenter into the same guest
# (hands its own descriptors in, no filter); (2) stdio throughput: 256 MiB
# through `cat` inside the guest, relayed by the agent against nsenter's
# direct descriptors; (3) a system-call-bound loop inside the guest (dd with
# 1-byte blocks: two system calls per byte) with and without the filter;
# (4) start --wait of a guest whose init is /bin/true, with a user namespace
# of its own (the default) and without (--no-userns).
#
#   bash bench/security/run.sh [RUNS]
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
  for g in filtered open ns1 nons1; do "$AGENT" destroy "$g" --force --root "$ROOT" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
  for h in /sys/fs/cgroup/*/vfleet-bench-sec; do rmdir "$h" 2>/dev/null || true; done
}
trap cleanup EXIT
# A user namespace guest (the default) reaches its root by path as an
# unprivileged host uid: the directories above the state root must be
# searchable, as /var/lib is.
chmod 711 "$WORK"
mkdir -p "$ROOT"
echo '{"cgroupParent":"vfleet-bench-sec"}' > "$ROOT/agent.json"
"$AGENT" template build busybox bb --root "$ROOT" >/dev/null
"$AGENT" create filtered --template bb --root "$ROOT" >/dev/null
"$AGENT" create open --template bb --allow-syscall all --root "$ROOT" >/dev/null
"$AGENT" start filtered --root "$ROOT" >/dev/null
"$AGENT" start open --root "$ROOT" >/dev/null
PID=$("$AGENT" list --root "$ROOT" --format json | python3 -c 'import json,sys; print([g["initPid"] for g in json.load(sys.stdin) if g["name"]=="filtered"][0])')

echo "== exec round trip of /bin/true ($RUNS runs each)"
python3 bench/lib/timeit.py --runs "$RUNS" --out "$OUT/security-exec.json" \
  "vfleet-agent exec (relayed, filtered)=$AGENT exec filtered --root $ROOT -- /bin/true" \
  "vfleet-agent exec (relayed, unfiltered)=$AGENT exec open --root $ROOT -- /bin/true" \
  "nsenter (direct descriptors, unfiltered)=nsenter -t $PID -a /bin/true"

echo "== 256 MiB through cat inside the guest ($RUNS runs each)"
python3 bench/lib/timeit.py --runs "$RUNS" --out "$OUT/security-stdio.json" \
  "vfleet-agent exec (relayed pipes)=head -c 268435456 /dev/zero | $AGENT exec filtered --root $ROOT -- cat > /dev/null" \
  "nsenter (direct descriptors)=head -c 268435456 /dev/zero | nsenter -t $PID -a cat > /dev/null"

echo "== dd bs=1 count=1000000 inside the guest: 2 million system calls ($RUNS runs each)"
python3 bench/lib/timeit.py --runs "$RUNS" --out "$OUT/security-seccomp.json" \
  "with the seccomp filter=$AGENT exec filtered --root $ROOT -- dd if=/dev/zero of=/dev/null bs=1 count=1000000" \
  "without (--allow-syscall all)=$AGENT exec open --root $ROOT -- dd if=/dev/zero of=/dev/null bs=1 count=1000000"

"$AGENT" create ns1 --template bb --init /bin/true --root "$ROOT" >/dev/null
"$AGENT" create nons1 --template bb --init /bin/true --no-userns --root "$ROOT" >/dev/null
echo "== start --wait, init /bin/true ($RUNS runs each)"
python3 bench/lib/timeit.py --runs "$RUNS" --out "$OUT/security-start.json" \
  "user namespace (default)=$AGENT start ns1 --wait --root $ROOT" \
  "host's user namespace (--no-userns)=$AGENT start nons1 --wait --root $ROOT"
