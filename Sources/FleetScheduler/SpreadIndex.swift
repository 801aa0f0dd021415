/// Spread's candidates: one list per memory band (`MemoryBand`), in
/// `SpreadKey` order. A host's free fraction after placement is its fraction
/// now minus need ÷ its size, and sizes in a band differ by under 1/256, so
/// a band's search ends (`SpreadBound`) soon after its first fitting host;
/// among equally sized hosts, at once. The most promising band is searched
/// first, so the best it yields lets the others be skipped from flat arrays.
struct SpreadIndex: Sendable {
    private var bandLists: [CandidateList<SpreadKey>] = []
    /// Each band's first key and largest size, kept flat so that skipping a
    /// band touches no list.
    private var bandTops: [SpreadKey] = []
    private var bandMaxSizes: [UInt64] = []
    /// Floating-point forms of the above for the pass over all bands that
    /// each guest makes: the top's free fraction, and 1 ÷ the largest size.
    private var bandTopFractions: [Double] = []
    private var bandInverseMaxSizes: [Double] = []
    private var bandSlots: [UInt64: Int32] = [:]
    /// For guests that need no memory, whose order ignores size
    /// (`FractionKey`); built when the first such guest comes.
    private var fractionList: CandidateList<FractionKey>?
    private let members: [Int]

    init(members: [Int], hosts: [HostState]) {
        self.members = members
        var keysByBand: [[SpreadKey]] = []
        for member in members {
            let key = SpreadKey(hosts[member])
            let band = MemoryBand.of(key.size)
            if bandSlots[band] == nil {
                bandSlots[band] = Int32(keysByBand.count)
                keysByBand.append([])
                bandMaxSizes.append(0)
            }
            let slot = Int(bandSlots[band] ?? 0)
            keysByBand[slot].append(key)
            bandMaxSizes[slot] = max(bandMaxSizes[slot], key.size)
        }
        bandLists = keysByBand.map { CandidateList(sorted: $0.sorted()) }
        bandTops = keysByBand.map { keys in keys.min() ?? keys[0] }
        bandTopFractions = bandTops.map(\.fraction.estimate)
        bandInverseMaxSizes = bandMaxSizes.map { 1 / Double(max($0, 1)) }
    }

    func slot(of host: HostState) -> Int32 {
        bandSlots[MemoryBand.of(host.usableMemory)] ?? 0
    }

    mutating func insert(_ host: HostState, slot: Int32) {
        let band = Int(slot)
        bandLists[band].insert(SpreadKey(host))
        refreshTop(of: band)
        fractionList?.insert(FractionKey(host))
    }

    mutating func remove(_ host: HostState, slot: Int32) {
        let band = Int(slot)
        bandLists[band].remove(SpreadKey(host))
        refreshTop(of: band)
        fractionList?.remove(FractionKey(host))
    }

    private mutating func refreshTop(of band: Int) {
        guard let top = bandLists[band].first else { return }
        bandTops[band] = top
        bandTopFractions[band] = top.fraction.estimate
    }

    mutating func best(for guest: GuestDemand, hosts: [HostState]) -> Int? {
        guard guest.memoryBytes > 0 else { return bestNeedingNoMemory(guest, hosts: hosts) }
        guard let first = mostPromisingBand(for: guest.memoryBytes) else { return nil }
        var best: SpreadChoice?
        search(first, for: guest, hosts: hosts, best: &best)
        let requested = Double(guest.memoryBytes)
        for band in bandLists.indices where band != first {
            // One floating-point bound per band; the margin keeps the skip safe.
            let bound = bandTopFractions[band] - requested * bandInverseMaxSizes[band]
            if let best, bound < best.estimate - SpreadBound.margin { continue }
            search(band, for: guest, hosts: hosts, best: &best)
        }
        return best.map { Int($0.host) }
    }

    /// Improves `best` with the band's hosts that fit, looking only as far
    /// as the band's bound allows.
    private func search(_ band: Int, for guest: GuestDemand, hosts: [HostState], best: inout SpreadChoice?) {
        let need = ResourceNeed(guest)
        let maxSize = bandMaxSizes[band]
        if SpreadBound.cannotBeat(best, from: bandTops[band], maxSize: maxSize, need: need.memory) { return }
        _ = bandLists[band].scan(
            from: nil, need: need,
            stop: { SpreadBound.cannotBeat(best, from: $0, maxSize: maxSize, need: need.memory) },
            prune: { SpreadBound.cannotBeat(best, from: $0, maxSize: $1, need: need.memory) },
            visit: { key in
                guard HostRules.fits(guest, on: hosts[Int(key.host)]) else { return false }
                let choice = SpreadChoice(
                    fraction: FreeFraction(free: key.freeMemory - need.memory, size: key.size),
                    guests: key.guests, host: key.host)
                if best.map({ choice.isBetter(than: $0) }) ?? true { best = choice }
                return false
            })
    }

    /// The band whose top bounds highest, estimated in floating point: a
    /// guess that orders the search, while the choice stays exact.
    private func mostPromisingBand(for need: UInt64) -> Int? {
        let requested = Double(need)
        var promising: Int?
        var highest = -Double.infinity
        for band in bandTopFractions.indices {
            let bound = bandTopFractions[band] - requested * bandInverseMaxSizes[band]
            if bound > highest {
                highest = bound
                promising = band
            }
        }
        return promising
    }

    private mutating func bestNeedingNoMemory(_ guest: GuestDemand, hosts: [HostState]) -> Int? {
        if fractionList == nil {
            fractionList = CandidateList(sorted: members.map { FractionKey(hosts[$0]) }.sorted())
        }
        let found = fractionList?.scan(
            from: nil, need: ResourceNeed(guest),
            stop: { _ in false }, prune: { _, _ in false },
            visit: { HostRules.fits(guest, on: hosts[Int($0.host)]) })
        return found.map { Int($0.host) }
    }
}
