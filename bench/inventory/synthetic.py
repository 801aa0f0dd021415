#!/usr/bin/env python3
"""Writes a `vfleet inventory --format json` report of a synthetic fleet, for
benchmarks that need a big fleet without a cluster: HOSTS hosts of ten
guests each, figures from a fixed seed. Three hosts are unreachable, two
cordoned, one evacuating; every 400th guest drifted.

Usage: synthetic.py HOSTS > fleet.json
(The fields: docs/guide/controller.md, "The JSON".)
"""
import json, random, sys

GIB, MIB = 1 << 30, 1 << 20
KINDS = ["web", "api", "db", "cache", "batch", "queue"]


def main():
    n = int(sys.argv[1])
    rnd = random.Random(21)
    unreachable = {13, 201, 377}
    hosts, guests = [], []
    for i in range(n):
        name = f"rack{i // 40 + 1:02d}-node{i % 40 + 1:03d}"
        up = i not in unreachable
        memory = [32, 64, 128, 256][i % 4] * GIB
        allocated = used = 0
        cpu = 0.0
        for slot in range(10):
            k = i * 10 + slot
            limit = rnd.choice([256, 512, 1024, 2048, 4096]) * MIB
            allocated += limit
            drifted, stopped = k % 400 == 7, k % 97 == 3
            running = up and not stopped and not drifted
            g = {"name": f"{KINDS[k % 6]}-{k:04d}", "host": name, "template": "debian-12" if k % 3 == 0 else "busybox",
                 "desiredState": "stopped" if stopped else "running",
                 "actualState": "unknown" if not up else ("stopped" if drifted or stopped else "running"),
                 "drift": up and drifted, "limits": {"memoryBytes": limit, "cpuMillis": [250, 500, 1000, 2000][k % 4]},
                 "reserved": {"memoryBytes": limit, "cpuMillis": 500, "diskBytes": 2 * GIB}}
            if k % 5 == 0:
                g["group"] = KINDS[k % 6]
            if up and drifted:
                g["driftReason"] = "desired running, host reports stopped"
            if running:
                g["memoryBytes"] = int(limit * rnd.random())
                g["cpuSeconds"] = round(rnd.random() * 500000, 1)
                g["processes"] = rnd.randint(1, 60)
                g["uptimeSeconds"] = float(rnd.randint(0, 9000000))
                used += g["memoryBytes"]
                cpu += g["cpuSeconds"]
            guests.append(g)
        h = {"name": name, "address": f"10.0.{i // 256}.{i % 256}", "reachable": up, "cordoned": i in (50, 51),
             "state": "evacuating" if i == 60 else "active", "labels": {"rack": f"r{i // 40 + 1}", "zone": f"z{i % 3}"},
             "capacity": {"memoryBytes": memory, "cpuMillis": [8, 16, 32, 64][i % 4] * 1000, "diskBytes": 1800 * GIB},
             "reservedMemoryBytes": 2 * GIB, "allocated": {"memoryBytes": allocated, "cpuMillis": 5000, "diskBytes": 20 * GIB},
             "guestCount": 10, "unknownGuests": []}
        if up:
            h.update({"kernel": "6.1.0-28-amd64", "cgroupMode": "v2", "usedMemoryBytes": used,
                      "usedCPUSeconds": round(cpu, 1), "freeDiskBytes": 1700 * GIB})
        else:
            h["error"] = f"ssh: connect to {h['address']} port 22: connection timed out after 5s"
        hosts.append(h)
    summary = {"hosts": n, "reachableHosts": sum(h["reachable"] for h in hosts), "guests": len(guests),
               "runningGuests": sum(g["actualState"] == "running" for g in guests),
               "driftedGuests": sum(g["drift"] for g in guests)}
    json.dump({"generatedAt": 1796526000, "hosts": hosts, "guests": guests, "summary": summary}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
