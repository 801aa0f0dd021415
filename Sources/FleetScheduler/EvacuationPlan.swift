/// Where each guest of the hosts being emptied goes.
public struct EvacuationPlan: Sendable, Equatable {
    /// The hosts being emptied, in name order.
    public var hosts: [String]
    /// Each guest with its destination host, biggest memory first.
    public var moves: [PlacedGuest]
    /// Guests that fit on no other host, with each host's reason.
    public var unplaceable: [PlacementFailure]
    /// The host each guest of `moves` and `unplaceable` leaves, by guest name.
    public var sources: [String: String]

    public init(hosts: [String], moves: [PlacedGuest], unplaceable: [PlacementFailure], sources: [String: String]) {
        self.hosts = hosts
        self.moves = moves
        self.unplaceable = unplaceable
        self.sources = sources
    }

    /// The host `guest` leaves, or nil if it is not in the plan.
    public func source(of guest: String) -> String? { sources[guest] }
}
