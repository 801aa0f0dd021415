import FleetScheduler

/// Checks a placement result against the rules from scratch, without the
/// scheduler's bookkeeping: recomputes every host's allocation from the
/// guests on it and lists every broken rule.
enum PlacementChecker {
    static func violations(
        hosts: [HostCapacity], existing: [PlacedGuest], new: [PlacedGuest], cpuOvercommit: Double = 1
    ) -> [String] {
        var problems: [String] = []
        let byName = Dictionary(hosts.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var seen = Set<String>()
        for placement in existing + new where !seen.insert(placement.guest.name).inserted {
            problems.append("guest \(placement.guest.name) is placed twice")
        }
        for placement in new {
            guard let host = byName[placement.host] else {
                problems.append("guest \(placement.guest.name) placed on unknown host \(placement.host)")
                continue
            }
            if !host.reachable { problems.append("guest \(placement.guest.name) placed on unreachable \(host.name)") }
            if host.cordoned { problems.append("guest \(placement.guest.name) placed on cordoned \(host.name)") }
            for (key, value) in placement.guest.requires where host.labels[key] != value {
                problems.append("guest \(placement.guest.name) needs \(key)=\(value), \(host.name) has \(host.labels[key] ?? "none")")
            }
        }
        let guestsByHost = Dictionary(grouping: existing + new, by: \.host)
        for (hostName, placements) in guestsByHost {
            guard let host = byName[hostName] else { continue }
            let guests = placements.map(\.guest)
            let memory = guests.reduce(UInt64(0)) { $0 + $1.memoryBytes }
            let cpu = guests.reduce(0) { $0 + $1.cpuMillis }
            var templateBytes: [String: UInt64] = [:]
            for guest in guests where !guest.templateDigest.isEmpty && !host.templateDigests.contains(guest.templateDigest) {
                templateBytes[guest.templateDigest] = guest.templateBytes
            }
            let disk = guests.reduce(UInt64(0)) { $0 + $1.diskBytes } + templateBytes.values.reduce(0, +)
            if memory + host.reservedMemoryBytes > host.memoryBytes {
                problems.append("\(hostName): memory \(memory) + reserved \(host.reservedMemoryBytes) > \(host.memoryBytes)")
            }
            if Double(cpu) > (Double(host.cpuMillis) * cpuOvercommit).rounded(.down) {
                problems.append("\(hostName): cpu \(cpu) > \(host.cpuMillis) × \(cpuOvercommit)")
            }
            if disk > host.diskBytes { problems.append("\(hostName): disk \(disk) > \(host.diskBytes)") }
            var groupCounts: [String: Int] = [:]
            for guest in guests { if let group = guest.group { groupCounts[group, default: 0] += 1 } }
            for (group, count) in groupCounts where count > 1 {
                problems.append("\(hostName): \(count) guests of group \(group)")
            }
        }
        return problems
    }
}
