/// Tunables for one `SSHSession`.
public struct SSHOptions: Sendable {
    /// Seconds allowed for TCP connect plus SSH key exchange, and separately
    /// for public key authentication.
    public var connectTimeout: Double = 5
    /// What to do with an unknown host key.
    public var policy: HostKeyPolicy = .strict
    /// Seconds any single protocol step after login may block: opening a
    /// channel, starting a command, a write waiting for the remote to accept
    /// data, sending EOF. Reads and exit statuses take their own timeout.
    public var operationTimeout: Double = 30

    public init(connectTimeout: Double = 5, policy: HostKeyPolicy = .strict, operationTimeout: Double = 30) {
        self.connectTimeout = connectTimeout
        self.policy = policy
        self.operationTimeout = operationTimeout
    }
}
