#!/usr/bin/env bash
# Issue 3 benchmark: `vfleet inventory` against 1, 4 and 8 hosts of the test
# cluster (each a network namespace with its own sshd and agent), two guests
# per host, in one run. Every timed run is a new vfleet process. Twice:
#  - cold (VFLEET_SSH_PERSIST=0): each run connects, exchanges keys, logs in
#    and starts an agent on every host, in parallel;
#  - warm (the default, ssh.persist 60s): each run asks the hosts through the
#    connection keeper, which holds one session per host between commands.
#
# Then report.sh: the table and HTML page of 500 hosts, and Chromium opening it.
#
#   bash bench/inventory/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-20}
bash scripts/install-deps
swift build -c release --static-swift-stdlib --product vfleet >/dev/null
swift build -c release --static-swift-stdlib --product vfleet-agent >/dev/null
BIN=$PWD/.build/release
WORK=$(mktemp -d /var/tmp/vfleet-bench-inv-XXXXXX)
cleanup() {
  for n in 1 4 8; do VFLEET_SSH_PERSIST=60 "$BIN/vfleet" connections stop --db "$WORK/db$n/fleet.db" --known-hosts "$WORK/cluster/controller/known_hosts" >/dev/null 2>&1 || true; done
  "$BIN/vfleet" dev-cluster down --dir "$WORK/cluster" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
"$BIN/vfleet" dev-cluster up --hosts 8 --dir "$WORK/cluster" --agent "$BIN/vfleet-agent" >/dev/null
KEY=$WORK/cluster/controller/id_ed25519
KH=$WORK/cluster/controller/known_hosts
export VFLEET_IDENTITY=$KEY
export VFLEET_SSH_PERSIST=0  # setup: no keeper yet
addr() { python3 -c "import json,sys; s=json.load(open('$WORK/cluster/cluster.json')); print([h['address'] for h in s['hosts'] if h['name']=='$1'][0])"; }
for n in 1 4 8; do
  db=$WORK/db$n/fleet.db
  for i in $(seq 1 $n); do
    "$BIN/vfleet" host add host$i --address "$(addr host$i)" --accept-new-host-key --db "$db" --known-hosts "$KH" >/dev/null
  done
  if [ $n = 8 ]; then
    "$BIN/vfleet" template add busybox --busybox --db "$db" --known-hosts "$KH" >/dev/null
    for i in $(seq 1 8); do for j in 1 2; do
      "$BIN/vfleet" guest create g$i-$j --template busybox --memory 32M --host host$i --db "$db" --known-hosts "$KH" >/dev/null
    done; done
  fi
done
echo "== cold: vfleet inventory --format json, new process and new SSH sessions each run ($RUNS runs each)"
export VFLEET_SSH_PERSIST=0
python3 bench/lib/timeit.py --runs "$RUNS" --out bench/results/inventory-cold.json \
  "inventory 1 host=$BIN/vfleet inventory --format json --db $WORK/db1/fleet.db --known-hosts $KH" \
  "inventory 4 hosts=$BIN/vfleet inventory --format json --db $WORK/db4/fleet.db --known-hosts $KH" \
  "inventory 8 hosts=$BIN/vfleet inventory --format json --db $WORK/db8/fleet.db --known-hosts $KH"
python3 bench/lib/report.py bench/results/inventory-cold.json "inventory 1 host"
echo "== warm (default): new process each run, hosts asked through the connection keeper ($RUNS runs each)"
export VFLEET_SSH_PERSIST=60
for n in 1 4 8; do  # start each store's keeper and let it connect
  "$BIN/vfleet" inventory --format json --db "$WORK/db$n/fleet.db" --known-hosts "$KH" >/dev/null; sleep 0.5
  "$BIN/vfleet" inventory --format json --db "$WORK/db$n/fleet.db" --known-hosts "$KH" >/dev/null
done
python3 bench/lib/timeit.py --runs "$RUNS" --out bench/results/inventory-warm.json \
  "inventory 1 host=$BIN/vfleet inventory --format json --db $WORK/db1/fleet.db --known-hosts $KH" \
  "inventory 4 hosts=$BIN/vfleet inventory --format json --db $WORK/db4/fleet.db --known-hosts $KH" \
  "inventory 8 hosts=$BIN/vfleet inventory --format json --db $WORK/db8/fleet.db --known-hosts $KH"
python3 bench/lib/report.py bench/results/inventory-warm.json "inventory 1 host"
# Issue 21: the report of 500 hosts and 5,000 guests (no cluster needed; also on its own).
bash bench/inventory/report.sh "$RUNS"
