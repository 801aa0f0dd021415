import FleetProtocol
import Foundation

extension Controller {
    /// What one host said, or why it could not be asked.
    struct HostObservation: Sendable {
        var host: StoredHost
        var hello: HelloResult?
        var error: String?
    }

    /// Asks every host in parallel (at most `hosts.parallel` at once). An
    /// unreachable host is recorded as such and never stops the others.
    /// The threads only wait for answers; the answers are decoded here, one
    /// after another: eight threads decoding at once would each make the
    /// Swift runtime scan its conformance tables for the same types (it does
    /// not share a lookup in progress), which cost more than the decoding.
    func observe(_ hosts: [StoredHost]) -> [HostObservation] {
        enum Answer: Sendable {
            case hello(HelloResult)
            case line(String)
            case failed(FleetError)
        }
        let params = (try? AgentClient.json(HelloParams(client: "vfleet-controller"))) ?? "{}"
        let timeout = settings.connectTimeout + 10
        var kept: [Answer]?
        if let keeper = connections.keeper {
            // Through the keeper: lines made here, only the waiting in parallel.
            let lines = hosts.map { KeeperLink.requestLine(host: $0.name, method: RPCMethod.hello, paramsJSON: params, timeout: timeout) }
            let raw = parallelMap(lines, maxParallel: settings.maxParallelHosts) { keeper.exchange($0, timeout: timeout) }
            if raw.allSatisfy({ if case .unavailable = $0 { return false } else { return true } }) {
                kept = zip(hosts, raw).map { host, r in
                    if case .answered(let line) = r { return .line(line) }
                    return .failed(FleetError(.unreachable, "host \(host.name): the connection keeper took hello and gave no answer"))
                }
            } else {
                // It ended meanwhile (hello is harmless to repeat): ask directly.
                connections.keeper = nil
            }
        }
        let answers: [Answer]
        if let kept {
            answers = kept
        } else {
            answers = parallelMap(hosts, maxParallel: settings.maxParallelHosts) { [self] host -> Answer in
                do throws(FleetError) {
                    connections.kickKeeper()
                    // A connection made just now said hello already: its facts are fresh.
                    let (client, connected) = try connections.clientNoting(host)
                    if connected { return .hello(client.hello) }
                    return .line(try connections.callLine(host, RPCMethod.hello, paramsJSON: params, timeout: timeout))
                } catch {
                    return .failed(error)
                }
            }
        }
        return zip(hosts, answers).map { host, answer in
            do throws(FleetError) {
                switch answer {
                case .hello(let hello): return HostObservation(host: host, hello: hello, error: nil)
                case .line(let line):
                    return HostObservation(host: host, hello: try AgentClient.decodeLine(line, as: HelloResult.self, host: host.name, method: RPCMethod.hello), error: nil)
                case .failed(let e): throw e
                }
            } catch {
                return HostObservation(host: host, hello: nil, error: error.message)
            }
        }
    }

    /// `vfleet inventory`: hosts and guests, desired against actual.
    public func inventory() throws(FleetError) -> InventoryReport {
        // Stored facts only for the hosts that do not answer (decoding every
        // host's last facts would cost more than asking it).
        let hosts = try store.hostsWithoutFacts()
        let guests = try store.guests()
        let placements = Dictionary(uniqueKeysWithValues: try store.placements().map { ($0.guest, $0.host) })
        let observations = observe(hosts)
        // Refresh stored facts from what the agents just said: one
        // transaction (one commit to disk) for all hosts.
        let now = Date().timeIntervalSince1970
        try? store.recordFacts(observations.compactMap { o in o.hello.map { (o.host.name, $0.host) } }, seenAt: now)
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
