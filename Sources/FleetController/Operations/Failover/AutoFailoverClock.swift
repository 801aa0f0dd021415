/// When `vfleet serve`'s auto-failover runs `host fail` (pure: tested
/// without hosts). It remembers since when each host has not answered;
/// a host is due once that is `after` seconds ago, and only while this
/// controller reaches a strict majority of the hosts it asked: a
/// controller cut off from the fleet (its own link down) sees every host
/// unreachable and must fail none of them.
public struct AutoFailoverClock: Sendable, Equatable {
    /// Host name → when it was first seen unreachable (monotonic seconds), since it last answered.
    public private(set) var unreachableSince: [String: Double] = [:]
    /// The hosts asked at the last look, and how many answered.
    public private(set) var asked = 0
    public private(set) var answered = 0

    public init() {}

    public mutating func observe(reachable: Set<String>, unreachable: Set<String>, now: Double) {
        for name in reachable { unreachableSince[name] = nil }
        for name in unreachable where unreachableSince[name] == nil { unreachableSince[name] = now }
        // Hosts no longer asked (failed, removed) are forgotten.
        for name in unreachableSince.keys where !unreachable.contains(name) { unreachableSince[name] = nil }
        asked = reachable.count + unreachable.count
        answered = reachable.count
    }

    /// Whether this controller reaches enough of the fleet to judge it.
    public var hasMajority: Bool { answered * 2 > asked }

    /// The hosts unreachable for at least `after` seconds at `now`, sorted.
    public func due(after: Double, now: Double) -> [String] {
        guard hasMajority else { return [] }
        return unreachableSince.filter { now - $0.value >= after }.map(\.key).sorted()
    }

    public mutating func forget(_ name: String) { unreachableSince[name] = nil }
}
