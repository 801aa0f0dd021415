import FleetProtocol

/// What guests/NAME/config.json holds: the spec plus what the agent assigned.
public struct GuestRecord: Codable, Sendable, Equatable {
    public var spec: GuestSpec
    /// VServer's xid: unique among this host's guests, kept for the guest's life.
    public var contextId: Int
    /// The template's digest when the guest was made: its lower layer must not change under it.
    public var templateDigest: String
    public var createdAt: Double
    /// How many times the guest was started here (a start that fails
    /// counts too: it may have run something). A move refuses to put its
    /// copy live when this changed since its stop. nil in older records: 0.
    public var generation: Int?

    public init(spec: GuestSpec, contextId: Int, templateDigest: String, createdAt: Double) {
        self.spec = spec
        self.contextId = contextId
        self.templateDigest = templateDigest
        self.createdAt = createdAt
    }

    /// The first context id handed out unless agent.json says otherwise;
    /// VServer reserved the low ones too.
    public static let defaultFirstContextId = 100

    /// The highest context id: a user namespace guest's host ids are
    /// contextId*65536 ... +65535, and uid 4294967295 means "no uid".
    public static let lastContextId = 65534

    /// The lowest free context id from `first` up, for a new guest `name`.
    public static func nextContextId(for name: String, in records: [GuestRecord], from first: Int = defaultFirstContextId) throws(FleetError) -> Int {
        try nextContextId(for: name, avoiding: Set(records.map(\.contextId)), from: first)
    }

    /// The lowest context id from `first` up that is not in `used`.
    public static func nextContextId(for name: String, avoiding used: Set<Int>, from first: Int) throws(FleetError) -> Int {
        var id = first
        while used.contains(id) { id += 1 }
        guard id <= lastContextId else {
            throw .conflict("cannot give guest \(name) a context id: \(first)-\(lastContextId) are all taken (destroy unused guests, or lower firstContextId in agent.json)")
        }
        return id
    }
}
