#!/usr/bin/env bash
# Issue 21 measurement: how long a scrape of `vfleet serve`'s /metrics takes
# on N test hosts (default 48), all up and then with one host hung (every
# process of its network namespace stopped: sshd and the agent of serve's
# session, so serve's hello waits for its timeouts).
#
#   bash bench/serve/scrape.sh [HOSTS] [SCRAPES]
#
# Uses the vfleet in $BIN (default .build/debug: build it first). Brings up
# its own dev cluster in /var/tmp and removes it, and stops the serve it
# started (by pid), also on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
HOSTS=${1:-48}
SCRAPES=${2:-20}
BIN=${BIN:-$PWD/.build/debug}
DIR=$(mktemp -d /var/tmp/vfleet-bench-serve-XXXXXX)
SERVE_PID=
STOPPED=()
cleanup() {
    for p in "${STOPPED[@]}"; do kill -CONT "$p" 2>/dev/null || true; done
    if [ -n "$SERVE_PID" ]; then kill -TERM "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi
    "$BIN/vfleet" dev-cluster down --dir "$DIR/cluster" >/dev/null 2>&1 || true
    rm -rf "$DIR"
}
trap cleanup EXIT
export VFLEET_SSH_PERSIST=0
started=$(date +%s)
"$BIN/vfleet" dev-cluster up --hosts "$HOSTS" --dir "$DIR/cluster" --format json > "$DIR/cluster.json"
echo "cluster of $HOSTS hosts up in $(( $(date +%s) - started )) s" >&2
DB=$DIR/fleet.db
KH=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["knownHostsFile"])' "$DIR/cluster.json")
export VFLEET_IDENTITY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["identityFile"])' "$DIR/cluster.json")
python3 -c 'import json,sys
for h in json.load(open(sys.argv[1]))["hosts"]: print(h["name"], h["address"], h["port"], h["namespace"])' "$DIR/cluster.json" > "$DIR/hosts"
while read -r name addr port ns; do
    "$BIN/vfleet" host add "$name" --address "$addr:$port" --db "$DB" --known-hosts "$KH" --accept-new-host-key >/dev/null
done < "$DIR/hosts"
"$BIN/vfleet" template add busybox --busybox --db "$DB" --known-hosts "$KH" >/dev/null
for i in $(seq 1 "$HOSTS"); do
    "$BIN/vfleet" guest create "g$i" --template busybox --memory 32M --db "$DB" --known-hosts "$KH" >/dev/null
done
echo "enrolled $HOSTS hosts, $HOSTS guests running" >&2

"$BIN/vfleet" serve --db "$DB" --known-hosts "$KH" --metrics-address 127.0.0.1:0 --interval 5s --host-timeout 5s 2> "$DIR/serve.log" &
SERVE_PID=$!
for _ in $(seq 100); do grep -q 'metrics on' "$DIR/serve.log" && break; sleep 0.1; done
URL=$(grep -o 'http://[^ ]*/metrics' "$DIR/serve.log")
for _ in $(seq 300); do
    [ "$(curl -s "$URL" | sed -n 's/^vfleet_hosts_up //p')" = "$HOSTS" ] && break
    sleep 0.2
done

scrapes() {
    for _ in $(seq "$SCRAPES"); do curl -s -o /dev/null -w '%{time_total}\n' "$URL"; sleep 0.25; done |
        python3 -c 'import sys,statistics; t=[float(x) for x in sys.stdin]; print(f"median {statistics.median(t)*1000:.1f} ms, max {max(t)*1000:.1f} ms over {len(t)} scrapes")'
}
echo "== all $HOSTS hosts up: $(curl -s "$URL" | wc -c) bytes"
echo "scrape: $(scrapes)"
echo "observation: $(curl -s "$URL" | sed -n 's/^vfleet_observation_duration_seconds //p') s"

read -r vname _ _ vns < <(sed -n 2p "$DIR/hosts")
mapfile -t STOPPED < <(ip netns pids "$vns")
kill -STOP "${STOPPED[@]}"
echo "== $vname hung (${#STOPPED[@]} processes stopped)"
echo "scrape while serve waits on it: $(scrapes)"
for _ in $(seq 120); do
    curl -s "$URL" | grep -q "^vfleet_host_up{host=\"$vname\"} 0$" && break
    sleep 0.5
done
body=$(curl -s "$URL")
echo "marked down: $(grep "^vfleet_host_up{host=\"$vname\"}" <<< "$body"), hosts_up $(sed -n 's/^vfleet_hosts_up //p' <<< "$body")"
echo "scrape with it down: $(scrapes)"
echo "observation: $(curl -s "$URL" | sed -n 's/^vfleet_observation_duration_seconds //p') s"
