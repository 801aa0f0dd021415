/// The controller's scheduler: a pure function of the hosts, the guests
/// already placed and the policy. It does no I/O; the controller feeds it a
/// snapshot and acts on its answers.
///
/// Cost, for H hosts: building is O(H log H + P) for P placed guests. The
/// first guest with a given set of required labels indexes the M available
/// hosts that carry them (O(M log M)). A placement then costs a binary
/// search and a shift of at most 127 keys per index its host is in, plus
/// the search: binpack starts at the first host with enough free memory;
/// spread reads one bound per memory band (few: one per host model) and
/// searches inside one or two. Hosts that fail CPU, disk or anti-affinity
/// are passed over, in blocks where their summaries allow. Only a guest that
/// fits nowhere costs O(H): every host's reason is worded.
///
/// A copy is independent (value semantics), but the first change to a copy
/// duplicates its state; for what-if questions use `check(_:on:)`.
public struct Scheduler: Sendable {
    public let policy: PlacementPolicy
    public let cpuOvercommit: Double

    /// Sorted by name, so an index doubles as the name tie-breaker.
    var hosts: [HostState]
    let hostIndexByName: [String: Int]
    var guests: [String: GuestRecord] = [:]
    /// Built on first use, one per distinct set of required labels.
    var indexes: [CandidateIndex] = []
    var indexByRequirement: [[String: String]: Int] = [:]
    /// Hosts that take new guests, in name order.
    let availableHosts: [Int]
    /// Hosts that take new guests, by label, in name order.
    let availableHostsByLabel: [LabelPair: [Int]]

    public init(hosts: [HostCapacity], placed: [PlacedGuest], policy: PlacementPolicy = .spread, cpuOvercommit: Double = 1.0) {
        self.init(hosts: hosts, placed: placed, policy: policy, cpuOvercommit: cpuOvercommit, evacuating: [])
    }

    /// `evacuating` names the hosts that take no guest because their guests
    /// are being moved off them.
    init(hosts: [HostCapacity], placed: [PlacedGuest], policy: PlacementPolicy, cpuOvercommit: Double, evacuating: Set<String>) {
        self.policy = policy
        // A factor that is not a number would make every comparison false.
        self.cpuOvercommit = cpuOvercommit.isNaN ? 1 : max(cpuOvercommit, 0)
        // A name listed twice keeps its first entry: enrolment prevents it,
        // and a scheduler that traps would take the controller down with it.
        let ordered = hosts.enumerated().sorted { ($0.element.name, $0.offset) < ($1.element.name, $1.offset) }
        var states: [HostState] = []
        var byName: [String: Int] = [:]
        for (_, capacity) in ordered where byName[capacity.name] == nil {
            byName[capacity.name] = states.count
            let unavailable: RejectionKind? =
                evacuating.contains(capacity.name) ? .evacuating
                : !capacity.reachable ? .unreachable
                : capacity.cordoned ? .cordoned
                : nil
            states.append(HostState(
                capacity: capacity, rank: Int32(states.count), cpuOvercommit: self.cpuOvercommit,
                unavailable: unavailable))
        }
        var available: [Int] = []
        var byLabel: [LabelPair: [Int]] = [:]
        for (index, state) in states.enumerated() where state.unavailable == nil {
            available.append(index)
            for (key, value) in state.capacity.labels { byLabel[LabelPair(key: key, value: value), default: []].append(index) }
        }
        self.hosts = states
        self.hostIndexByName = byName
        self.availableHosts = available
        self.availableHostsByLabel = byLabel
        for guest in placed {
            let index = byName[guest.host]
            // A guest listed twice still uses resources twice; the record
            // keeps the first, which is the one remove(guest:) releases.
            if let index { self.hosts[index].add(guest.guest) }
            if guests[guest.guest.name] == nil { guests[guest.guest.name] = GuestRecord(demand: guest.guest, hostName: guest.host, host: index) }
        }
    }

    /// What is allocated on a host, or nil if no host has that name.
    public func allocation(of host: String) -> HostAllocation? {
        hostIndexByName[host].map { hosts[$0].allocation }
    }
}
