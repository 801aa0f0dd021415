/// The metric families of `vfleet serve`'s /metrics, from the last round's
/// snapshot and what the rounds accumulated. Names follow Prometheus'
/// conventions: the `vfleet_` prefix, base units in the name (bytes,
/// seconds, cores), `_total` on counters. The list, with meanings, is in
/// docs/guide/controller.md.
public enum FleetMetrics {
    public static func families(_ s: FleetSnapshot, _ totals: ObservationTotals) -> [MetricFamily] {
        fleet(s) + hosts(s, totals) + guests(s) + operations(s) + serve(s, totals) + replica(s)
    }

    /// Only with the replicated store (a standalone store is the fleet).
    static func replica(_ s: FleetSnapshot) -> [MetricFamily] {
        guard let lag = s.replicaLag else { return [] }
        var families: [MetricFamily] = [
            .single("vfleet_store_replica_applied_entry", "The last entry of the fleet's log in etcd this controller's replica had applied when the observation began.",
                    .gauge, Double(lag.applied)),
            .single("vfleet_store_log_reachable", "1 if etcd answered for the log's head when the observation began, else 0 (reads answer from the replica, maybe stale; writes fail).",
                    .gauge, lag.head == nil ? 0 : 1),
        ]
        if let behind = lag.entries {
            families.append(.single("vfleet_store_replica_lag_entries", "Entries of the fleet's log this controller's replica had not applied yet when the observation began.",
                                    .gauge, Double(behind)))
        }
        return families
    }

    static func fleet(_ s: FleetSnapshot) -> [MetricFamily] {
        let hosts = s.report.hosts
        let up = hosts.filter(\.reachable).count
        var byState: [String: Int] = [:]
        for g in s.report.guests { byState[g.actualState, default: 0] += 1 }
        return [
            .single("vfleet_hosts", "Hosts enrolled in the fleet.", .gauge, Double(hosts.count)),
            .single("vfleet_hosts_up", "Hosts whose agent answered the last observation.", .gauge, Double(up)),
            .single("vfleet_hosts_unreachable", "Hosts whose agent did not answer the last observation.", .gauge, Double(hosts.count - up)),
            .single("vfleet_hosts_cordoned", "Hosts cordoned (no new guests placed there).", .gauge, Double(hosts.filter(\.cordoned).count)),
            .single("vfleet_hosts_evacuated", "Hosts evacuated for maintenance (until host restore).", .gauge,
                    Double(hosts.filter { $0.state == "evacuated" }.count)),
            MetricFamily(name: "vfleet_guests", help: "Guests by the state their host reports (unknown: host unreachable; missing: host lacks it).",
                         kind: .gauge, series: byState.keys.sorted().map { .value(labels: [MetricLabel("state", $0)], Double(byState[$0]!)) }),
            .single("vfleet_guests_drifted", "Guests whose actual state differs from the desired one.", .gauge,
                    Double(s.report.guests.filter(\.drift).count)),
        ]
    }

    static func hosts(_ s: FleetSnapshot, _ totals: ObservationTotals) -> [MetricFamily] {
        let hosts = s.report.hosts
        func per(_ name: String, _ help: String, _ value: (HostReport) -> Double?) -> MetricFamily {
            MetricFamily(name: name, help: help, kind: .gauge, series: hosts.compactMap { h in
                value(h).map { .value(labels: [MetricLabel("host", h.name)], $0) }
            })
        }
        var running: [String: Int] = [:]
        for g in s.report.guests where g.actualState == "running" { if let h = g.host { running[h, default: 0] += 1 } }
        return [
            per("vfleet_host_up", "1 if the host's agent answered the last observation, else 0.") { $0.reachable ? 1 : 0 },
            per("vfleet_host_cordoned", "1 if the host is cordoned.") { $0.cordoned ? 1 : 0 },
            MetricFamily(name: "vfleet_host_state", help: "The host's state in the store (active, evacuating, evacuated, failed): 1 for the current one.",
                         kind: .gauge, series: hosts.map { .value(labels: [MetricLabel("host", $0.name), MetricLabel("state", $0.state)], 1) }),
            per("vfleet_host_memory_capacity_bytes", "Memory of the host (its last known facts).") { Double($0.capacity.memoryBytes) },
            per("vfleet_host_memory_reserved_bytes", "Memory kept back from guests on the host (host add --reserve-memory).") { Double($0.reservedMemoryBytes) },
            per("vfleet_host_memory_allocated_bytes", "Memory the guests placed on the host reserve (their limits or the defaults).") {
                Double($0.allocated.memoryBytes)
            },
            per("vfleet_host_memory_used_bytes", "Memory the host's running guests use (absent while the host is unreachable).") {
                $0.usedMemoryBytes.map { Double($0) }
            },
            per("vfleet_host_cpu_capacity_cores", "CPUs of the host.") { Double($0.capacity.cpuMillis) / 1000 },
            per("vfleet_host_cpu_allocated_cores", "CPUs the guests placed on the host reserve.") { Double($0.allocated.cpuMillis) / 1000 },
            per("vfleet_host_cpu_used_cores", "CPUs the host's running guests used between the last two observations.") {
                totals.cpuUsedCores[$0.name]
            },
            per("vfleet_host_guests", "Guests the store places on the host.") { Double($0.guestCount) },
            per("vfleet_host_guests_running", "Guests the host reports running (absent while unreachable).") { h in
                h.reachable ? Double(running[h.name] ?? 0) : nil
            },
            per("vfleet_host_disk_free_bytes", "Free space for guests on the host's state file system.") { $0.freeDiskBytes.map { Double($0) } },
            MetricFamily(name: "vfleet_agent_request_duration_seconds",
                         help: "Time of the hello vfleet serve sends each host every observation, answered or not.",
                         kind: .histogram, series: totals.helloSeconds.keys.sorted().map { host in
                             .histogram(labels: [MetricLabel("host", host)], totals.helloSeconds[host]!)
                         }),
        ]
    }

    static func guests(_ s: FleetSnapshot) -> [MetricFamily] {
        let guests = s.report.guests
        func labels(_ g: GuestReport) -> [MetricLabel] { [MetricLabel("guest", g.name), MetricLabel("host", g.host ?? "")] }
        func per(_ name: String, _ help: String, _ kind: MetricFamily.Kind = .gauge, _ value: (GuestReport) -> Double?) -> MetricFamily {
            MetricFamily(name: name, help: help, kind: kind, series: guests.compactMap { g in value(g).map { .value(labels: labels(g), $0) } })
        }
        return [
            MetricFamily(name: "vfleet_guest_state",
                         help: "The guest's actual state (running, stopped, missing, unknown, unplaced): 1 for the current one.",
                         kind: .gauge, series: guests.map { .value(labels: labels($0) + [MetricLabel("state", $0.actualState)], 1) }),
            per("vfleet_guest_desired_running", "1 if the controller wants the guest running, else 0.") { $0.desiredState == "running" ? 1 : 0 },
            per("vfleet_guest_drift", "1 if the guest's actual state differs from the desired one.") { $0.drift ? 1 : 0 },
            per("vfleet_guest_memory_bytes", "Memory the guest uses (its cgroup's), while it runs.") { $0.memoryBytes.map { Double($0) } },
            per("vfleet_guest_memory_limit_bytes", "The guest's memory limit (--memory).") { $0.limits.memoryBytes.map { Double($0) } },
            per("vfleet_guest_cpu_seconds_total", "CPU time the guest used since it started.", .counter) { $0.cpuSeconds },
            per("vfleet_guest_pids", "Processes of the guest.") { $0.processes.map { Double($0) } },
        ]
    }

    static func operations(_ s: FleetSnapshot) -> [MetricFamily] {
        var started: [String: UInt64] = [:]
        var finished: [[String]: UInt64] = [:]
        var inFlight: [String: UInt64] = [:]
        var durations: [[String]: Histogram] = [:]
        for t in s.operations {
            started[t.kind, default: 0] += t.count
            if t.state.inFlight {
                inFlight[t.kind, default: 0] += t.count
                continue
            }
            let outcome = switch t.state {
            case .done: "succeeded"
            case .failed: "failed"
            default: "rolled_back"
            }
            finished[[t.kind, outcome], default: 0] += t.count
            durations[[t.kind, outcome], default: Histogram(bounds: Histogram.operationSeconds)].add(perBucket: t.perBucket, sum: t.seconds)
        }
        func kindOutcome(_ k: [String]) -> [MetricLabel] { [MetricLabel("kind", k[0]), MetricLabel("outcome", k[1])] }
        let pairs = finished.keys.sorted { $0.joined(separator: "\u{0}") < $1.joined(separator: "\u{0}") }
        return [
            MetricFamily(name: "vfleet_operations_started_total", help: "Operations begun, by kind (the store's operations journal).",
                         kind: .counter, series: started.keys.sorted().map { .value(labels: [MetricLabel("kind", $0)], Double(started[$0]!)) }),
            MetricFamily(name: "vfleet_operations_finished_total", help: "Operations ended, by kind and outcome (succeeded, failed, rolled_back).",
                         kind: .counter, series: pairs.map { .value(labels: kindOutcome($0), Double(finished[$0]!)) }),
            MetricFamily(name: "vfleet_operations_in_flight", help: "Operations running or waiting for ops resume, by kind.",
                         kind: .gauge, series: inFlight.keys.sorted().map { .value(labels: [MetricLabel("kind", $0)], Double(inFlight[$0]!)) }),
            MetricFamily(name: "vfleet_operation_duration_seconds", help: "Time from an operation's start to its end, by kind and outcome.",
                         kind: .histogram, series: pairs.map { .histogram(labels: kindOutcome($0), durations[$0]!) }),
            MetricFamily(name: "vfleet_moved_bytes_total",
                         help: "Bytes of file data the copy steps of moves sent (template, pre-copy, delta), by transport (direct: host to host; relay: through the controller).",
                         kind: .counter, series: Self.movedTransports(s).map { .value(labels: [MetricLabel("transport", $0)], Double(s.movedBytes[$0] ?? 0)) }),
        ]
    }

    /// Both transports always (a rate over a series that appears late
    /// misses its first increase), and any other the store holds.
    static func movedTransports(_ s: FleetSnapshot) -> [String] {
        Set(["direct", "relay"]).union(s.movedBytes.keys).sorted()
    }

    static func serve(_ s: FleetSnapshot, _ totals: ObservationTotals) -> [MetricFamily] {
        [
            MetricFamily(name: "vfleet_store_write_duration_seconds", help: "Time of vfleet serve's write of the hosts' facts to the store, per observation.",
                         kind: .histogram, series: [.histogram(labels: [], totals.storeWriteSeconds)]),
            .single("vfleet_observation_duration_seconds", "How long the last observation of the fleet took.", .gauge, s.seconds),
            .single("vfleet_observation_timestamp_seconds", "When the last observation ended (Unix time).", .gauge, s.at),
            .single("vfleet_observations_total", "Observations of the fleet completed since vfleet serve started.", .counter, Double(totals.rounds)),
            .single("vfleet_observation_failures_total", "Observations that failed (the store could not be read) since vfleet serve started.",
                    .counter, Double(totals.failedRounds)),
        ]
    }
}
