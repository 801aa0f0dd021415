import FleetScheduler

/// The rules and policies written the obvious way: every host checked for
/// every guest, by running totals. Slow but easy to trust; random tests
/// require the scheduler to choose exactly what this chooses.
struct ReferenceScheduler {
    /// What is on one host.
    private struct Usage {
        var guests: [GuestDemand] = []
        var memory: UInt64 = 0
        var cpu = 0
        var disk: UInt64 = 0
        /// Templates guests brought, with their size; they stay when the
        /// guests go, as on the agent.
        var broughtTemplates: [String: UInt64] = [:]
    }

    let hosts: [HostCapacity]
    let policy: PlacementPolicy
    let cpuOvercommit: Double
    private var usage: [Usage]
    private let indexByName: [String: Int]
    private var hostOf: [String: Int] = [:]

    init(hosts: [HostCapacity], placed: [PlacedGuest], policy: PlacementPolicy, cpuOvercommit: Double = 1) {
        self.hosts = hosts.sorted { $0.name < $1.name }
        self.policy = policy
        self.cpuOvercommit = cpuOvercommit
        usage = Array(repeating: Usage(), count: hosts.count)
        indexByName = Dictionary(self.hosts.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        for placement in placed {
            if let index = indexByName[placement.host] { book(placement.guest, on: index) }
        }
    }

    mutating func place(_ guest: GuestDemand) -> String? {
        guard hostOf[guest.name] == nil else { return nil }
        let fitting = hosts.indices.filter { fits(guest, $0) }
        let chosen: Int?
        switch policy {
        case .spread: chosen = fitting.min { spreadPrefers($0, over: $1, guest) }
        case .binpack: chosen = fitting.min { binpackPrefers($0, over: $1, guest) }
        }
        guard let chosen else { return nil }
        book(guest, on: chosen)
        return hosts[chosen].name
    }

    mutating func remove(_ name: String) {
        guard let index = hostOf.removeValue(forKey: name),
              let guest = usage[index].guests.first(where: { $0.name == name }) else { return }
        usage[index].guests.removeAll { $0.name == name }
        usage[index].memory -= guest.memoryBytes
        usage[index].cpu -= guest.cpuMillis
        usage[index].disk -= guest.diskBytes
    }

    private func fits(_ guest: GuestDemand, _ index: Int) -> Bool {
        let host = hosts[index]
        let used = usage[index]
        guard host.reachable, !host.cordoned else { return false }
        guard guest.requires.allSatisfy({ host.labels[$0.key] == $0.value }) else { return false }
        if let group = guest.group, used.guests.contains(where: { $0.group == group }) { return false }
        guard used.memory + guest.memoryBytes + host.reservedMemoryBytes <= host.memoryBytes else { return false }
        guard Double(used.cpu + guest.cpuMillis) <= (Double(host.cpuMillis) * cpuOvercommit).rounded(.down) else {
            return false
        }
        let needsTemplate = !guest.templateDigest.isEmpty && !host.templateDigests.contains(guest.templateDigest)
            && used.broughtTemplates[guest.templateDigest] == nil
        let templates = used.broughtTemplates.values.reduce(0, +)
        return used.disk + templates + guest.diskBytes + (needsTemplate ? guest.templateBytes : 0) <= host.diskBytes
    }

    private func usable(_ index: Int) -> UInt64 {
        hosts[index].memoryBytes - hosts[index].reservedMemoryBytes
    }

    private func freeAfter(_ index: Int, _ guest: GuestDemand) -> UInt64 {
        usable(index) - usage[index].memory - guest.memoryBytes
    }

    /// Larger free fraction after placement, then fewer guests, then name.
    private func spreadPrefers(_ a: Int, over b: Int, _ guest: GuestDemand) -> Bool {
        let aShare = freeAfter(a, guest).multipliedFullWidth(by: usable(b))
        let bShare = freeAfter(b, guest).multipliedFullWidth(by: usable(a))
        if aShare.high != bShare.high { return aShare.high > bShare.high }
        if aShare.low != bShare.low { return aShare.low > bShare.low }
        let aGuests = usage[a].guests.count
        let bGuests = usage[b].guests.count
        return aGuests != bGuests ? aGuests < bGuests : hosts[a].name < hosts[b].name
    }

    /// Less memory left after placement, then name.
    private func binpackPrefers(_ a: Int, over b: Int, _ guest: GuestDemand) -> Bool {
        let aLeft = freeAfter(a, guest)
        let bLeft = freeAfter(b, guest)
        return aLeft != bLeft ? aLeft < bLeft : hosts[a].name < hosts[b].name
    }

    private mutating func book(_ guest: GuestDemand, on index: Int) {
        usage[index].guests.append(guest)
        usage[index].memory += guest.memoryBytes
        usage[index].cpu += guest.cpuMillis
        usage[index].disk += guest.diskBytes
        hostOf[guest.name] = index
        let host = hosts[index]
        if !guest.templateDigest.isEmpty, !host.templateDigests.contains(guest.templateDigest),
           usage[index].broughtTemplates[guest.templateDigest] == nil {
            usage[index].broughtTemplates[guest.templateDigest] = guest.templateBytes
        }
    }
}
