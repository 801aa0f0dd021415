/// Where each guest of a host goes when the host is emptied.
public struct EvacuationPlan: Sendable, Equatable {
    public var host: String
    /// Each guest with its destination host, biggest memory first.
    public var moves: [PlacedGuest]
    /// Guests that fit on no other host, with each host's reason.
    public var unplaceable: [PlacementFailure]

    public init(host: String, moves: [PlacedGuest], unplaceable: [PlacementFailure]) {
        self.host = host
        self.moves = moves
        self.unplaceable = unplaceable
    }
}
