/// The available hosts that carry one set of required labels, ordered for
/// the policy so the best host for a guest is found without looking at the
/// whole fleet.
///
/// Spread keeps one list per usable memory size, ordered by free memory.
/// Among equally sized hosts, more free memory means a larger free fraction
/// after placing any guest, so each list's first fitting host is that
/// size's best; the sizes' bests are then compared exactly. A size whose
/// top host cannot beat the best found is skipped after one look at a flat
/// array. A fleet has few distinct sizes (models), so this is a handful of
/// look-ups per guest; the cost grows linearly with distinct sizes.
/// Binpack keeps one list: "least memory left" does not depend on size.
struct CandidateIndex: Sendable {
    let policy: PlacementPolicy
    private var sizeLists: [CandidateList<SpreadKey>] = []
    private var sizes: [UInt64] = []
    /// Each size's most free memory, kept beside the lists so that skipping
    /// a size reads one flat array.
    private var sizeTopFree: [UInt64] = []
    private var sizeSlots: [UInt64: Int32] = [:]
    private var inverseSizes: [Double] = []
    private var binpackList = CandidateList<BinpackKey>()

    init(policy: PlacementPolicy, members: [Int], hosts: [HostState]) {
        self.policy = policy
        switch policy {
        case .spread:
            var keysBySize: [[SpreadKey]] = []
            for member in members {
                let host = hosts[member]
                if sizeSlots[host.usableMemory] == nil {
                    sizeSlots[host.usableMemory] = Int32(sizes.count)
                    sizes.append(host.usableMemory)
                    keysBySize.append([])
                }
                keysBySize[Int(sizeSlots[host.usableMemory] ?? 0)].append(SpreadKey(host))
            }
            sizeLists = keysBySize.map { CandidateList(sorted: $0.sorted()) }
            sizeTopFree = sizeLists.map { $0.first?.freeMemory ?? 0 }
            inverseSizes = sizes.map { 1 / Double(max($0, 1)) }
        case .binpack:
            binpackList = CandidateList(sorted: members.map { BinpackKey(hosts[$0]) }.sorted())
        }
    }

    /// Which list of this index the host is in.
    func slot(of host: HostState) -> Int32 {
        switch policy {
        case .spread: sizeSlots[host.usableMemory] ?? 0
        case .binpack: 0
        }
    }

    mutating func insert(_ host: HostState, slot: Int32) {
        switch policy {
        case .spread:
            sizeLists[Int(slot)].insert(SpreadKey(host))
            sizeTopFree[Int(slot)] = sizeLists[Int(slot)].first?.freeMemory ?? 0
        case .binpack:
            binpackList.insert(BinpackKey(host))
        }
    }

    mutating func remove(_ host: HostState, slot: Int32) {
        switch policy {
        case .spread:
            sizeLists[Int(slot)].remove(SpreadKey(host))
            sizeTopFree[Int(slot)] = sizeLists[Int(slot)].first?.freeMemory ?? 0
        case .binpack:
            binpackList.remove(BinpackKey(host))
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
        let found = binpackList.scan(
            from: BinpackKey(lowerBound: guest.memoryBytes), minCpu: guest.cpuNeed, minDisk: guest.diskBytes,
            stop: { _ in false },
            visit: { HostRules.fits(guest, on: hosts[Int($0.host)]) })
        return found.map { Int($0.host) }
    }

    private func bestSpread(for guest: GuestDemand, hosts: [HostState]) -> Int? {
        let need = guest.memoryBytes
        var best: SpreadChoice?
        func consider(_ slot: Int) {
            let top = sizeTopFree[slot]
            guard top >= need else { return }
            let size = sizes[slot]
            if let best, FreeFraction(free: top - need, size: size) < best.fraction { return }
            let found = sizeLists[slot].scan(
                from: nil, minCpu: guest.cpuNeed, minDisk: guest.diskBytes,
                stop: { $0.freeMemory < need },
                visit: { HostRules.fits(guest, on: hosts[Int($0.host)]) })
            guard let found else { return }
            let choice = SpreadChoice(
                fraction: FreeFraction(free: found.freeMemory - need, size: size), guests: found.guests, host: found.host)
            if best.map({ choice.isBetter(than: $0) }) ?? true { best = choice }
        }
        // The most promising size first: its top host usually fits, and the
        // best it yields lets the pass over all sizes skip nearly all of them.
        if let promising = mostPromisingSize(for: need) { consider(promising) }
        for slot in sizes.indices { consider(slot) }
        return best.map { Int($0.host) }
    }

    /// The size whose top host would keep the largest free fraction,
    /// estimated in floating point (a guess only; choices are exact).
    private func mostPromisingSize(for need: UInt64) -> Int? {
        guard sizes.count > 1 else { return nil }
        var promising: Int?
        var highest = -1.0
        for slot in sizes.indices where sizeTopFree[slot] >= need {
            let fraction = Double(sizeTopFree[slot] - need) * inverseSizes[slot]
            if fraction > highest {
                highest = fraction
                promising = slot
            }
        }
        return promising
    }
}
