#!/bin/sh
# How fast an agent applies a move's pre-copy of 50,000 small files (50
# directories of 1,000 files of a few bytes, owned by a guest id) into a
# staging area, with several writer-thread counts (agent.json
# receiveWriterThreads), against `tar -x` of the same tree; one agent binary
# or more. No cluster and no network: the stream is generated once and fed
# to `vfleet-agent rpc` as the controller's relay would (guest.import), so
# this times the receiver alone (its start, the apply, the sync, the digest
# cache's save).
#
#   sh bench/migration/apply.sh [--rounds R] [--writers "0 2 4"] AGENT [AGENT2 ...]
#
# Round 0 is a warm-up, not counted. Everything is made in fresh directories
# under one throw-away directory in
# /var/tmp, removed only at the end: on an ext4 without a journal (this
# build machine's root) the kernel skips inodes freed in the last minute or
# so when it allocates (a few minutes while the freed inodes are not yet
# written back), and creating 50,000 files right after removing 50,000 took
# 10x as long (30 s instead of 3).
set -eu
rounds=3
writers="0 2 4"
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=$2; shift 2 ;;
        --writers) writers=$2; shift 2 ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--rounds R] [--writers \"0 2 4\"] AGENT [AGENT2 ...]" >&2; exit 2; }
work=$(mktemp -d /var/tmp/vfleet-bench-apply-XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
python3 - "$work" <<'PY'
import os, struct, sys
work = sys.argv[1]
# The stream (docs: Sources/FleetTreeStream/TreeStreamFormat.swift), chunked as on the wire.
def b32(b): return struct.pack('<I', len(b)) + b
def header(path, mode, uid): return b32(path) + struct.pack('<IIIqII', mode, uid, uid, 1700000000, 5, 0)
records, entries, size = bytearray(b'VFTS1'), 0, 0
tree = os.path.join(work, 'tree')
os.mkdir(tree)
for d in sorted(b'd%d' % i for i in range(50)):
    records += b'D' + header(d, 0o755, 65536 * 200); entries += 1
    os.mkdir(os.path.join(tree, d.decode()))
    for name in sorted(b'f%d' % j for j in range(1000)):
        data = b'%s-%s\n' % (d[1:], name[1:])
        records += b'F' + header(d + b'/' + name, 0o644, 65536 * 200 + 1000) + struct.pack('<Q', len(data))
        records += struct.pack('<IQ', len(data), 0) + data + struct.pack('<I', 0)
        entries += 1; size += len(data)
        path = os.path.join(tree, d.decode(), name.decode())
        with open(path, 'wb') as f: f.write(data)
        os.chown(path, 65536 * 200 + 1000, 65536 * 200 + 1000)
        os.utime(path, ns=(1700000000000000005, 1700000000000000005))
records += b'E' + struct.pack('<QQQ', entries, 0, size)
with open(os.path.join(work, 'request'), 'wb') as out:
    out.write(b'{"id":0,"method":"hello","params":{"protocolVersion":1,"facts":false}}\n')
    out.write(b'{"id":1,"method":"guest.import","params":{"name":"many"}}\n')
    for k in range(0, len(records), 256 * 1024):
        chunk = records[k:k + 256 * 1024]
        out.write(struct.pack('>I', len(chunk)) + chunk)
    out.write(struct.pack('>I', 0))
PY
tar -C "$work/tree" --numeric-owner -cf "$work/tree.tar" .
rm -rf "$work/tree"
# Synced, a freed inode is skipped for 60 s or more (here, still after 90 s),
# hence the wait and a first round that is not counted.
sync
echo "waiting 120 s: the tree's generation removed 50,000 files" >&2
sleep 120
seconds() { echo "$2 - $1" | bc; }
# Round 0 warms up and is not counted.
record() { [ "$r" -eq 0 ] || echo "$1" >> "$2"; }
r=-1
while [ $r -lt "$rounds" ]; do
    r=$((r + 1))
    mkdir "$work/tar$r"
    sync
    s=$(date +%s.%N); tar -C "$work/tar$r" --numeric-owner -xpf "$work/tree.tar"; e=$(date +%s.%N)
    t=$(seconds "$s" "$e"); record "$t" "$work/times-tar"
    echo "round $r: tar -x $t s"
    n=0
    for agent in "$@"; do
        n=$((n + 1))
        for w in $writers; do
            root="$work/agent$r-$n-$w"
            mkdir -p "$root/guests"
            echo "{\"cgroupParent\": \"vfleet-bench-apply\", \"receiveWriterThreads\": $w}" > "$root/agent.json"
            sync
            s=$(date +%s.%N); VFLEET_AGENT_ROOT="$root" "$agent" rpc < "$work/request" > "$root/answer"; e=$(date +%s.%N)
            grep -q '"id":1,"result"' "$root/answer" || { echo "guest.import failed: $(tail -c 400 "$root/answer")" >&2; exit 1; }
            t=$(seconds "$s" "$e"); record "$t" "$work/times-$n-$w"
            echo "round $r: $agent, $w writers: $t s"
        done
    done
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
tar_median=$(median "$work/times-tar")
echo "median tar -x: $tar_median s"
n=0
for agent in "$@"; do
    n=$((n + 1))
    for w in $writers; do
        m=$(median "$work/times-$n-$w")
        echo "median $agent, $w writers: $m s ($(echo "scale=2; $m / $tar_median" | bc)x tar -x)"
    done
done
