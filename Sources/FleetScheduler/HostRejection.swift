/// Why one host cannot take a guest, in words an operator reads.
public struct HostRejection: Sendable, Equatable {
    public var host: String
    /// Every failing rule with its numbers, e.g.
    /// "memory: needs 512M, 256M free of 4G (1G reserved)".
    public var reason: String
    /// The first failing rule.
    public var kind: RejectionKind

    public init(host: String, reason: String, kind: RejectionKind) {
        self.host = host
        self.reason = reason
        self.kind = kind
    }
}
