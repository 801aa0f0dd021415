/// A guest's network.
public enum NetworkMode: String, Codable, Sendable, CaseIterable {
    /// The host's network stack, unrestricted: only by explicit choice.
    case host
    /// A network namespace of its own with only loopback.
    case none
    /// Linux-VServer's model: the host's stack, but the guest binds only to
    /// its own addresses and sends only from them (cgroup socket hooks).
    case isolated
    /// A network namespace of its own with a veth into a host bridge, its
    /// address and default route inside; it may run its own firewall.
    case `private`

    /// Whether the mode takes addresses (`--ip`).
    public var takesAddresses: Bool { self == .isolated || self == .private }
}
