/// The available hosts that carry one set of required labels, ordered for
/// the policy so the best host for a guest is found without looking at the
/// whole fleet.
///
/// Spread keeps one list per usable memory size. Within one size, more free
/// memory means a larger free fraction after placing any guest, so the first
/// fitting host of each list is that size's best; the sizes' bests are then
/// compared exactly. A fleet has few distinct sizes, so this is a handful of
/// look-ups per guest. Binpack keeps one list, since "least memory left"
/// does not depend on the host's size.
struct CandidateIndex: Sendable {
    let policy: PlacementPolicy
    private var spreadLists: [CandidateList<SpreadKey>] = []
    private var spreadSizes: [UInt64] = []
    private var spreadSlots: [UInt64: Int32] = [:]
    private var binpackList = CandidateList<BinpackKey>()

    init(policy: PlacementPolicy, members: [Int], hosts: [HostState]) {
        self.policy = policy
        switch policy {
        case .spread:
            var keysBySlot: [[SpreadKey]] = []
            for member in members {
                let host = hosts[member]
                let slot = Int(slot(forSize: host.usableMemory))
                if slot == keysBySlot.count { keysBySlot.append([]) }
                keysBySlot[slot].append(SpreadKey(host))
            }
            spreadLists = keysBySlot.map { CandidateList(sorted: $0.sorted()) }
        case .binpack:
            binpackList = CandidateList(sorted: members.map { BinpackKey(hosts[$0]) }.sorted())
        }
    }

    /// Which list of this index the host is in.
    func slot(of host: HostState) -> Int32 {
        switch policy {
        case .spread: spreadSlots[host.usableMemory] ?? 0
        case .binpack: 0
        }
    }

    mutating func insert(_ host: HostState, slot: Int32) {
        switch policy {
        case .spread: spreadLists[Int(slot)].insert(SpreadKey(host))
        case .binpack: binpackList.insert(BinpackKey(host))
        }
    }

    mutating func remove(_ host: HostState, slot: Int32) {
        switch policy {
        case .spread: spreadLists[Int(slot)].remove(SpreadKey(host))
        case .binpack: binpackList.remove(BinpackKey(host))
        }
    }

    /// The policy's choice among the listed hosts that fit the guest.
    func best(for guest: GuestDemand, hosts: [HostState]) -> Int? {
        switch policy {
        case .spread: bestSpread(for: guest, hosts: hosts)
        case .binpack: bestBinpack(for: guest, hosts: hosts)
        }
    }

    private func bestBinpack(for guest: GuestDemand, hosts: [HostState]) -> Int? {
        let found = binpackList.firstMatch(
            from: BinpackKey(lowerBound: guest.memoryBytes), minCpu: guest.cpuNeed, minDisk: guest.diskBytes,
            stop: { _ in false },
            accept: { HostRules.fits(guest, on: hosts[Int($0.host)]) })
        return found.map { Int($0.host) }
    }

    private func bestSpread(for guest: GuestDemand, hosts: [HostState]) -> Int? {
        let need = guest.memoryBytes
        var best: (fraction: FreeFraction, key: SpreadKey)?
        for (list, size) in zip(spreadLists, spreadSizes) {
            guard let top = list.first, top.freeMemory >= need else { continue }
            // The list's top bounds what it can offer; skip it when even that loses.
            if let best, FreeFraction(free: top.freeMemory - need, size: size) < best.fraction { continue }
            let found = list.firstMatch(
                from: nil, minCpu: guest.cpuNeed, minDisk: guest.diskBytes,
                stop: { $0.freeMemory < need },
                accept: { HostRules.fits(guest, on: hosts[Int($0.host)]) })
            guard let found else { continue }
            let fraction = FreeFraction(free: found.freeMemory - need, size: size)
            if let current = best {
                if fraction < current.fraction { continue }
                // Equal fractions: fewer guests, then name (rank is name order).
                if fraction == current.fraction, (found.guests, found.host) >= (current.key.guests, current.key.host) {
                    continue
                }
            }
            best = (fraction, found)
        }
        return best.map { Int($0.key.host) }
    }

    private mutating func slot(forSize size: UInt64) -> Int32 {
        if let slot = spreadSlots[size] { return slot }
        let slot = Int32(spreadSizes.count)
        spreadSizes.append(size)
        spreadSlots[size] = slot
        return slot
    }
}
