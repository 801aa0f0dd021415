import FleetProtocol

/// What guests/NAME/config.json holds: the spec plus what the agent assigned.
public struct GuestRecord: Codable, Sendable, Equatable {
    public var spec: GuestSpec
    /// VServer's xid: unique among this host's guests, kept for the guest's life.
    public var contextId: Int
    /// The template's digest when the guest was made: its lower layer must not change under it.
    public var templateDigest: String
    public var createdAt: Double

    public init(spec: GuestSpec, contextId: Int, templateDigest: String, createdAt: Double) {
        self.spec = spec
        self.contextId = contextId
        self.templateDigest = templateDigest
        self.createdAt = createdAt
    }

    /// The first context id handed out; VServer reserved the low ones too.
    public static let firstContextId = 100

    /// The lowest free context id.
    public static func nextContextId(in records: [GuestRecord]) -> Int {
        let used = Set(records.map(\.contextId))
        var id = firstContextId
        while used.contains(id) { id += 1 }
        return id
    }
}
