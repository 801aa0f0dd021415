#!/usr/bin/env bash
# Issue 6 benchmark: requests per second of redis-server (Debian's) driven by
# redis-benchmark from another test host over the server's address: run
# directly on a test host (host-native), in an isolated guest (the host's
# stack confined by cgroup socket filters) and in a private guest (its own
# namespace behind a veth and a bridge, routed by the host), in one run.
#
#   bash bench/network/run.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/install-deps
# The servers this benchmark starts itself; Debian's package would also start
# one as a service at install: policy-rc.d forbids that for this install.
if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server redis-tools >/dev/null
  rm -f /usr/sbin/policy-rc.d
  trap - EXIT
fi
swift build -c release --static-swift-stdlib --product vfleet >/dev/null
swift build -c release --static-swift-stdlib --product vfleet-agent >/dev/null
mkdir -p bench/results
exec python3 bench/network/bench.py --bin "$PWD/.build/release" --rounds "${1:-5}" --out bench/results/network.json
