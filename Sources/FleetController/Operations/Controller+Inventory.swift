import FleetProtocol
import FleetSystem
import Foundation

extension Controller {
    /// What one host said, or why it could not be asked.
    struct HostObservation: Sendable {
        var host: StoredHost
        var hello: HelloResult?
        var error: String?
        /// How long the hello took (observeEach only).
        var seconds: Double?
    }

    /// Asks every host in parallel (at most `hosts.parallel` at once). An
    /// unreachable host is recorded as such and never stops the others.
    func observe(_ hosts: [StoredHost]) -> [HostObservation] {
        let answers = agents.greet(hosts, maxParallel: settings.maxParallelHosts, timeout: settings.connectTimeout + 10)
        return zip(hosts, answers).map { host, answer in
            switch answer {
            case .success(let hello): HostObservation(host: host, hello: hello, error: nil)
            case .failure(let error): HostObservation(host: host, hello: nil, error: error.message)
            }
        }
    }

    /// The same, one hello per host timed on its own (`vfleet serve`'s
    /// agent latency): at most `hosts.parallel` at once, each bounded by
    /// `timeout` (and the connect timeout).
    func observeEach(_ hosts: [StoredHost], timeout: Double) -> [HostObservation] {
        let agents = agents
        return parallelMap(hosts, maxParallel: settings.maxParallelHosts) { host in
            let started = Monotonic.now
            let answer = agents.greet([host], maxParallel: 1, timeout: timeout)[0]
            let seconds = Monotonic.now - started
            switch answer {
            case .success(let hello): return HostObservation(host: host, hello: hello, error: nil, seconds: seconds)
            case .failure(let error): return HostObservation(host: host, hello: nil, error: error.message, seconds: seconds)
            }
        }
    }

    /// Refreshes stored facts from what the agents just said: one
    /// transaction (one commit to disk) for all hosts.
    func recordFacts(_ observations: [HostObservation]) throws(FleetError) {
        let now = Date().timeIntervalSince1970
        try store.recordFacts(observations.compactMap { o in o.hello.map { (o.host.name, $0.host) } }, seenAt: now)
    }

    /// `vfleet inventory`: hosts and guests, desired against actual.
    public func inventory() throws(FleetError) -> InventoryReport {
        // Stored facts only for the hosts that do not answer (decoding every
        // host's last facts would cost more than asking it).
        let hosts = try store.hostsWithoutFacts()
        let guests = try store.guests()
        let placements = Dictionary(uniqueKeysWithValues: try store.placements().map { ($0.guest, $0.host) })
        let observations = observe(hosts)
        try? recordFacts(observations)
        return inventoryReport(observations, guests: guests, placements: placements)
    }

    /// The report of what the hosts said (`observations`, one per host)
    /// against the store's guests and placements (guest → host).
    func inventoryReport(_ observations: [HostObservation], guests: [StoredGuest], placements: [String: String]) -> InventoryReport {
        var actual: [String: [String: GuestStatus]] = [:]
        for o in observations {
            if let hello = o.hello { actual[o.host.name] = Dictionary(hello.host.guests.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }) }
        }
        let known = Set(guests.map(\.name))

        var hostReports: [HostReport] = []
        for o in observations {
            let h = o.host
            let mine = guests.filter { placements[$0.name] == h.name }
            let allocated = ResourceAmounts(memoryBytes: mine.reduce(0) { $0 + $1.memoryBytes },
                                            cpuMillis: mine.reduce(0) { $0 + $1.cpuMillis },
                                            diskBytes: mine.reduce(0) { $0 + $1.diskBytes })
            let running = o.hello?.host.guests.filter { $0.state == .running } ?? []
            let facts = o.hello?.host ?? (try? store.host(h.name))?.facts
            hostReports.append(HostReport(
                name: h.name, address: "\(h.address):\(h.port)", reachable: o.hello != nil, error: o.error,
                cordoned: h.cordoned, state: h.state.rawValue, kernel: facts?.kernel, cgroupMode: facts?.cgroupMode,
                labels: h.labels,
                capacity: ResourceAmounts(memoryBytes: facts?.memoryBytes ?? 0, cpuMillis: (facts?.cpus ?? 0) * 1000,
                                          diskBytes: facts?.freeDiskBytes ?? 0),
                reservedMemoryBytes: h.reservedMemoryBytes, allocated: allocated,
                usedMemoryBytes: o.hello.map { _ in running.reduce(0) { $0 + ($1.memoryBytes ?? 0) } },
                usedCPUSeconds: o.hello.map { _ in running.reduce(0) { $0 + ($1.cpuSeconds ?? 0) } },
                freeDiskBytes: o.hello?.host.freeDiskBytes,
                guestCount: mine.count,
                unknownGuests: (o.hello?.host.guests.map(\.name).filter { !known.contains($0) || placements[$0] != h.name } ?? []).sorted()))
        }

        var guestReports: [GuestReport] = []
        for g in guests {
            let hostName = placements[g.name]
            let seen = hostName.flatMap { actual[$0] }
            let status = seen?[g.name]
            let actualState: String
            var driftReason: String?
            if hostName == nil {
                actualState = "unplaced"
                driftReason = "not placed on any host"
            } else if seen == nil {
                actualState = "unknown"
            } else if let status {
                actualState = status.state.rawValue
                if status.state.rawValue != g.desiredState.rawValue {
                    driftReason = "desired \(g.desiredState.rawValue), host reports \(status.state.rawValue)"
                }
            } else {
                actualState = "missing"
                driftReason = "host \(hostName!) does not have it"
            }
            guestReports.append(GuestReport(
                name: g.name, host: hostName, template: g.template, group: g.groupName,
                desiredState: g.desiredState.rawValue, actualState: actualState, drift: driftReason != nil, driftReason: driftReason,
                limits: g.spec.limits, reserved: ResourceAmounts(memoryBytes: g.memoryBytes, cpuMillis: g.cpuMillis, diskBytes: g.diskBytes),
                memoryBytes: status?.memoryBytes, cpuSeconds: status?.cpuSeconds, processes: status?.processes,
                uptimeSeconds: status?.uptimeSeconds))
        }
        return InventoryReport(generatedAt: Date().timeIntervalSince1970, hosts: hostReports, guests: guestReports)
    }
}
