import FleetProtocol

/// The placement rules. `fits` is the fast yes/no the indexes ask for every
/// candidate; `rejection` words the same rules for an operator. Both use the
/// per-rule predicates below, so they cannot disagree.
enum HostRules {
    static func fits(_ guest: GuestDemand, on host: HostState) -> Bool {
        host.unavailable == nil
            && labelsMatch(guest, host)
            && memoryFits(guest, host)
            && cpuFits(guest, host)
            && diskFits(guest, host)
            && groupmate(of: guest, on: host) == nil
    }

    static func labelsMatch(_ guest: GuestDemand, _ host: HostState) -> Bool {
        labelsMatch(guest.requires, host)
    }

    static func labelsMatch(_ requires: [String: String], _ host: HostState) -> Bool {
        requires.allSatisfy { host.capacity.labels[$0.key] == $0.value }
    }

    static func memoryFits(_ guest: GuestDemand, _ host: HostState) -> Bool {
        let total = Quantity.add(Quantity.add(host.memory, guest.memoryBytes), host.capacity.reservedMemoryBytes)
        return total <= host.capacity.memoryBytes
    }

    static func cpuFits(_ guest: GuestDemand, _ host: HostState) -> Bool {
        guest.cpuNeed <= host.freeCpu
    }

    static func diskFits(_ guest: GuestDemand, _ host: HostState) -> Bool {
        Quantity.add(host.disk, host.diskNeed(of: guest)) <= host.capacity.diskBytes
    }

    /// A guest of the same anti-affinity group already on the host.
    static func groupmate(of guest: GuestDemand, on host: HostState) -> String? {
        guard let group = guest.group else { return nil }
        return host.groups[group]?.first
    }

    /// Why the host cannot take the guest, or nil when it can. An unavailable
    /// host or one with the wrong labels gets only that reason: its free
    /// capacity is beside the point. Otherwise every failing rule is named,
    /// so the operator sees at once everything that would have to change.
    static func rejection(of guest: GuestDemand, on host: HostState, cpuOvercommit: Double) -> HostRejection? {
        let name = host.capacity.name
        if let kind = host.unavailable {
            return HostRejection(host: name, reason: unavailableReason(kind), kind: kind)
        }
        if !labelsMatch(guest, host) {
            return HostRejection(host: name, reason: labelReason(guest, host), kind: .labels)
        }
        var failures: [(RejectionKind, String)] = []
        if let mate = groupmate(of: guest, on: host), let group = guest.group {
            failures.append((.antiAffinity, "anti-affinity: guest \(mate) of group \(group) is there"))
        }
        if !memoryFits(guest, host) { failures.append((.memory, memoryReason(guest, host))) }
        if !cpuFits(guest, host) { failures.append((.cpu, cpuReason(guest, host, cpuOvercommit: cpuOvercommit))) }
        if !diskFits(guest, host) { failures.append((.disk, diskReason(guest, host))) }
        guard let first = failures.first else { return nil }
        return HostRejection(host: name, reason: failures.map(\.1).joined(separator: "; "), kind: first.0)
    }

    private static func unavailableReason(_ kind: RejectionKind) -> String {
        switch kind {
        case .evacuating: "being evacuated"
        default: kind.rawValue
        }
    }

    private static func labelReason(_ guest: GuestDemand, _ host: HostState) -> String {
        guest.requires.sorted { $0.key < $1.key }.compactMap { key, wanted in
            guard let actual = host.capacity.labels[key] else {
                return "label \(key)=\(wanted) required, host has no \(key) label"
            }
            return actual == wanted ? nil : "label \(key)=\(wanted) required, host has \(key)=\(actual)"
        }.joined(separator: "; ")
    }

    private static func memoryReason(_ guest: GuestDemand, _ host: HostState) -> String {
        let reserved = host.capacity.reservedMemoryBytes
        let note = reserved > 0 ? " (\(ByteSize.format(reserved)) reserved)" : ""
        return "memory: needs \(ByteSize.format(guest.memoryBytes)), \(ByteSize.format(host.freeMemory)) free"
            + " of \(ByteSize.format(host.capacity.memoryBytes))\(note)"
    }

    private static func cpuReason(_ guest: GuestDemand, _ host: HostState, cpuOvercommit: Double) -> String {
        let unit = guest.cpuNeed == 1000 ? "cpu" : "cpus"
        let needs = "cpu: needs \(Quantity.cpus(guest.cpuNeed)) \(unit), \(Quantity.cpus(max(host.freeCpu, 0))) free"
            + " of \(Quantity.cpus(host.cpuLimit))"
        if cpuOvercommit == 1 { return needs }
        return needs + " (\(Quantity.cpus(host.capacity.cpuMillis)) cpus × \(Quantity.factor(cpuOvercommit)) overcommit)"
    }

    private static func diskReason(_ guest: GuestDemand, _ host: HostState) -> String {
        var needs = ByteSize.format(guest.diskBytes)
        if host.lacksTemplate(of: guest) {
            let shortDigest = String(guest.templateDigest.prefix(12))
            needs = "\(ByteSize.format(host.diskNeed(of: guest))) (\(needs) + \(ByteSize.format(guest.templateBytes))"
                + " to copy template \(shortDigest), which the host lacks)"
        }
        return "disk: needs \(needs), \(ByteSize.format(host.freeDisk)) free of \(ByteSize.format(host.capacity.diskBytes))"
    }
}
