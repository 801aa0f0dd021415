/// What `vfleet serve` accumulates across rounds of observation: the
/// histograms its own calls fill, how many rounds ran and failed, and the
/// previous round's guest CPU seconds (a host's CPU use is their rate).
public struct ObservationTotals: Sendable {
    public var helloSeconds: [String: Histogram] = [:]
    public var storeWriteSeconds = Histogram(bounds: Histogram.storeWriteSeconds)
    public var rounds: UInt64 = 0
    public var failedRounds: UInt64 = 0
    /// Guest → (host, CPU seconds) as the last round saw it, and when.
    public var lastCPU: [String: (host: String, seconds: Double)] = [:]
    public var lastCPUAt: Double?
    /// Host → cores its running guests used between the last two rounds.
    public var cpuUsedCores: [String: Double] = [:]

    public init() {}

    /// Takes in one round: its calls' durations and the guests' CPU time.
    public mutating func add(_ s: FleetSnapshot) {
        rounds += 1
        for (host, seconds) in s.helloSeconds {
            helloSeconds[host, default: Histogram(bounds: Histogram.requestSeconds)].observe(seconds)
        }
        // Hosts removed from the fleet stop being reported.
        let enrolled = Set(s.report.hosts.map(\.name))
        helloSeconds = helloSeconds.filter { enrolled.contains($0.key) }
        if let w = s.storeWriteSeconds { storeWriteSeconds.observe(w) }

        var now: [String: (host: String, seconds: Double)] = [:]
        for g in s.report.guests {
            if let host = g.host, let cpu = g.cpuSeconds, g.actualState == "running" { now[g.name] = (host, cpu) }
        }
        cpuUsedCores = [:]
        if let before = lastCPUAt, s.at > before {
            let up = Set(s.report.hosts.filter(\.reachable).map(\.name))
            for host in up { cpuUsedCores[host] = 0 }
            for (guest, n) in now {
                // Only a guest seen on the same host both times and not
                // restarted since (its counter did not go back).
                guard let old = lastCPU[guest], old.host == n.host, n.seconds >= old.seconds else { continue }
                cpuUsedCores[n.host, default: 0] += (n.seconds - old.seconds) / (s.at - before)
            }
        }
        lastCPU = now
        lastCPUAt = s.at
    }
}
