/// Which events `vfleet events` (and `guest show`, `ops show`) read.
public struct EventFilter: Sendable, Equatable {
    /// Only events written at or after this time (Unix seconds).
    public var since: Double?
    public var guest: String?
    /// Events that touched the host, as source or as a move's destination.
    public var host: String?
    public var operation: Int64?
    /// Only events with a larger id (`--follow` reads on from the last one).
    public var afterId: Int64?
    /// The newest this many (returned oldest first).
    public var limit: Int?

    public init(since: Double? = nil, guest: String? = nil, host: String? = nil, operation: Int64? = nil,
                afterId: Int64? = nil, limit: Int? = nil) {
        self.since = since
        self.guest = guest
        self.host = host
        self.operation = operation
        self.afterId = afterId
        self.limit = limit
    }
}
