/// Binpack's candidates: one list by free memory, since "least memory left
/// after placement" does not depend on a host's size. The search starts at
/// the first host with enough free memory, and the first that fits is the one.
struct BinpackIndex: Sendable {
    private var list: CandidateList<BinpackKey>

    init(members: [Int], hosts: [HostState]) {
        list = CandidateList(sorted: members.map { BinpackKey(hosts[$0]) }.sorted())
    }

    mutating func insert(_ host: HostState) { list.insert(BinpackKey(host)) }

    mutating func remove(_ host: HostState) { list.remove(BinpackKey(host)) }

    func best(for guest: GuestDemand, hosts: [HostState]) -> Int? {
        let found = list.scan(
            from: BinpackKey(lowerBound: guest.memoryBytes), need: ResourceNeed(guest),
            stop: { _ in false }, prune: { _, _ in false },
            visit: { HostRules.fits(guest, on: hosts[Int($0.host)]) })
        return found.map { Int($0.host) }
    }
}
