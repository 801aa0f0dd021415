/// The available hosts that carry one set of required labels, ordered for
/// the policy (`SpreadIndex`, `BinpackIndex`) so the best host for a guest
/// is found without looking at the whole fleet.
struct CandidateIndex: Sendable {
    let policy: PlacementPolicy
    private var spread: SpreadIndex?
    private var binpack: BinpackIndex?

    init(policy: PlacementPolicy, members: [Int], hosts: [HostState]) {
        self.policy = policy
        switch policy {
        case .spread: spread = SpreadIndex(members: members, hosts: hosts)
        case .binpack: binpack = BinpackIndex(members: members, hosts: hosts)
        }
    }

    /// Which list of this index the host is in.
    func slot(of host: HostState) -> Int32 {
        spread?.slot(of: host) ?? 0
    }

    mutating func insert(_ host: HostState, slot: Int32) {
        spread?.insert(host, slot: slot)
        binpack?.insert(host)
    }

    mutating func remove(_ host: HostState, slot: Int32) {
        spread?.remove(host, slot: slot)
        binpack?.remove(host)
    }

    /// The policy's choice among the listed hosts that fit the guest.
    mutating func best(for guest: GuestDemand, hosts: [HostState]) -> Int? {
        switch policy {
        case .spread: spread?.best(for: guest, hosts: hosts)
        case .binpack: binpack?.best(for: guest, hosts: hosts)
        }
    }
}
