/// A fencing token: which operation of the controller's journal sent a
/// request about a guest, and that operation's token. Tokens come from the
/// journal and grow with every operation begun or taken over (docs/
/// ARCHITECTURE.md, fencing); an agent keeps the highest it has seen per
/// guest and refuses a request that carries an older one, so a controller
/// whose operation another took over cannot act on the guest any more.
public struct Fence: Codable, Sendable, Equatable {
    public var guest: String
    public var token: Int64
    public var operation: Int64

    public init(guest: String, token: Int64, operation: Int64) {
        self.guest = guest
        self.token = token
        self.operation = operation
    }

    /// The params key a fenced request carries it under.
    public static let paramKey = "fence"
}
