#!/bin/sh
# How long an agent takes to digest a staged layer of 50,050 small files whose
# digest cache knows every file (what adopt and cleanup-source do while a move
# of the 50,000-file guest runs), for one or more vfleet-agent binaries in
# turns. No cluster: a throw-away agent root under /var/tmp, removed at the end.
#
#   sh bench/migration/digest.sh [--digests N] [--rounds R] [--read-all] [--ext4-image] AGENT [AGENT2 ...]
#
# Prints, per binary and round, the wall time of N digests (after one that
# fills the cache), and the median per binary.
#
# --read-all: each digest instead finds no cache and reads every file (from
# the page cache), as a layer's first digest after it was written does;
# before each one the cache is removed, every file's atime is set an hour
# back (so that `relatime` would update it on the next read) and the file
# system is synced, outside the time taken.
#
# --ext4-image: the agent root is a fresh 2 GB ext4 image with a journal
# (mkfs.ext4's defaults), loop-mounted, as the test cluster's hosts have,
# instead of a directory on /var/tmp's file system.
set -eu
digests=10
rounds=3
readall=0
image=0
while [ $# -gt 0 ]; do
    case "$1" in
        --digests) digests=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --read-all) readall=1; digests=1; shift ;;
        --ext4-image) image=1; shift ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--digests N] [--rounds R] [--read-all] [--ext4-image] AGENT [AGENT2 ...]" >&2; exit 2; }
root=$(mktemp -d /var/tmp/vfleet-bench-digest-XXXXXX)
trap 'rm -rf "$root"' EXIT
trap 'exit 1' INT TERM
if [ $image -eq 1 ]; then
    truncate -s 2G "$root.img"
    mkfs.ext4 -q -F "$root.img"
    mount -o loop "$root.img" "$root"
    trap 'umount "$root"; rm -rf "$root" "$root.img"' EXIT
fi
echo '{"cgroupParent": "vfleet-bench-digest"}' > "$root/agent.json"
upper="$root/guests/.incoming-g1/upper"
mkdir -p "$upper"
i=0
while [ $i -lt 50 ]; do
    mkdir "$upper/d$i"
    j=0
    while [ $j -lt 1000 ]; do echo "$i-$j" > "$upper/d$i/f$j"; j=$((j + 1)); done
    i=$((i + 1))
done
sync -f "$upper"
hello='{"id":0,"method":"hello","params":{"protocolVersion":1,"facts":false}}'
digest='{"id":1,"method":"guest.digest","params":{"name":"g1","staging":true}}'
{ echo "$hello"; echo "$digest"; } > "$root/warm"
{ echo "$hello"; n=0; while [ $n -lt "$digests" ]; do echo "$digest"; n=$((n + 1)); done; } > "$root/requests"
for agent in "$@"; do VFLEET_AGENT_ROOT="$root" "$agent" rpc < "$root/warm" > /dev/null; done
for agent in "$@"; do : > "$root/times-$(echo "$agent" | tr / _)"; done
r=0
while [ $r -lt "$rounds" ]; do
    for agent in "$@"; do
        if [ $readall -eq 1 ]; then
            rm -f "$root/guests/.incoming-g1/digest-cache"
            find "$upper" -type f -exec touch -a -d '1 hour ago' {} +
            sync -f "$upper"
        fi
        start=$(date +%s.%N)
        VFLEET_AGENT_ROOT="$root" "$agent" rpc < "$root/requests" | grep -c '"digest"' > /dev/null
        end=$(date +%s.%N)
        t=$(echo "$end - $start" | bc)
        echo "$t" >> "$root/times-$(echo "$agent" | tr / _)"
        echo "round $((r + 1)) $agent: $digests digests in $t s"
    done
    r=$((r + 1))
done
for agent in "$@"; do
    median=$(sort -n "$root/times-$(echo "$agent" | tr / _)" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
    echo "median $agent: $median s for $digests digests"
done
