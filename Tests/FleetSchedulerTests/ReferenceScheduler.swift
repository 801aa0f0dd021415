import FleetScheduler

/// The rules and policies written the obvious way: every host checked for
/// every guest, allocations summed afresh each time. Slow but easy to trust;
/// random tests require the scheduler to choose exactly what this chooses.
struct ReferenceScheduler {
    let hosts: [HostCapacity]
    let policy: PlacementPolicy
    let cpuOvercommit: Double
    private var guestsOn: [String: [GuestDemand]] = [:]
    /// Templates guests brought to a host, with their size; they stay when
    /// the guests go, as on the agent.
    private var broughtTemplates: [String: [String: UInt64]] = [:]
    private var hostOf: [String: String] = [:]

    init(hosts: [HostCapacity], placed: [PlacedGuest], policy: PlacementPolicy, cpuOvercommit: Double = 1) {
        self.hosts = hosts.sorted { $0.name < $1.name }
        self.policy = policy
        self.cpuOvercommit = cpuOvercommit
        for placement in placed { book(placement.guest, on: placement.host) }
    }

    mutating func place(_ guest: GuestDemand) -> String? {
        guard hostOf[guest.name] == nil else { return nil }
        let fitting = hosts.filter { fits(guest, $0) }
        let chosen: HostCapacity?
        switch policy {
        case .spread: chosen = fitting.min { spreadPrefers($0, over: $1, guest) }
        case .binpack: chosen = fitting.min { binpackPrefers($0, over: $1, guest) }
        }
        guard let chosen else { return nil }
        book(guest, on: chosen.name)
        return chosen.name
    }

    mutating func remove(_ name: String) {
        guard let host = hostOf.removeValue(forKey: name) else { return }
        guestsOn[host]?.removeAll { $0.name == name }
    }

    func fits(_ guest: GuestDemand, _ host: HostCapacity) -> Bool {
        guard host.reachable, !host.cordoned else { return false }
        guard guest.requires.allSatisfy({ host.labels[$0.key] == $0.value }) else { return false }
        let here = guestsOn[host.name] ?? []
        if let group = guest.group, here.contains(where: { $0.group == group }) { return false }
        guard memoryUsed(host) + guest.memoryBytes + host.reservedMemoryBytes <= host.memoryBytes else { return false }
        guard Double(cpuUsed(host) + guest.cpuMillis) <= (Double(host.cpuMillis) * cpuOvercommit).rounded(.down) else {
            return false
        }
        let needsTemplate = !guest.templateDigest.isEmpty && !host.templateDigests.contains(guest.templateDigest)
            && broughtTemplates[host.name]?[guest.templateDigest] == nil
        return diskUsed(host) + guest.diskBytes + (needsTemplate ? guest.templateBytes : 0) <= host.diskBytes
    }

    private func memoryUsed(_ host: HostCapacity) -> UInt64 {
        (guestsOn[host.name] ?? []).reduce(0) { $0 + $1.memoryBytes }
    }

    private func cpuUsed(_ host: HostCapacity) -> Int {
        (guestsOn[host.name] ?? []).reduce(0) { $0 + $1.cpuMillis }
    }

    private func diskUsed(_ host: HostCapacity) -> UInt64 {
        (guestsOn[host.name] ?? []).reduce(0) { $0 + $1.diskBytes } + (broughtTemplates[host.name] ?? [:]).values.reduce(0, +)
    }

    private func freeAfter(_ host: HostCapacity, _ guest: GuestDemand) -> UInt64 {
        host.memoryBytes - host.reservedMemoryBytes - memoryUsed(host) - guest.memoryBytes
    }

    /// Larger free fraction after placement, then fewer guests, then name.
    private func spreadPrefers(_ a: HostCapacity, over b: HostCapacity, _ guest: GuestDemand) -> Bool {
        let aShare = freeAfter(a, guest).multipliedFullWidth(by: b.memoryBytes - b.reservedMemoryBytes)
        let bShare = freeAfter(b, guest).multipliedFullWidth(by: a.memoryBytes - a.reservedMemoryBytes)
        if aShare.high != bShare.high { return aShare.high > bShare.high }
        if aShare.low != bShare.low { return aShare.low > bShare.low }
        let aGuests = guestsOn[a.name]?.count ?? 0
        let bGuests = guestsOn[b.name]?.count ?? 0
        return aGuests != bGuests ? aGuests < bGuests : a.name < b.name
    }

    /// Less memory left after placement, then name.
    private func binpackPrefers(_ a: HostCapacity, over b: HostCapacity, _ guest: GuestDemand) -> Bool {
        let aLeft = freeAfter(a, guest)
        let bLeft = freeAfter(b, guest)
        return aLeft != bLeft ? aLeft < bLeft : a.name < b.name
    }

    private mutating func book(_ guest: GuestDemand, on hostName: String) {
        guestsOn[hostName, default: []].append(guest)
        hostOf[guest.name] = hostName
        guard let host = hosts.first(where: { $0.name == hostName }) else { return }
        if !guest.templateDigest.isEmpty, !host.templateDigests.contains(guest.templateDigest) {
            broughtTemplates[hostName, default: [:]][guest.templateDigest] =
                broughtTemplates[hostName]?[guest.templateDigest] ?? guest.templateBytes
        }
    }
}
