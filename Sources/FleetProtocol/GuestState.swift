import Foundation

/// Whether a guest runs, read from the kernel (its cgroup has processes).
public enum GuestState: String, Codable, Sendable {
    case running
    case stopped
}

/// What `status` and `list` report for one guest, in the spirit of vserver-stat.
public struct GuestStatus: Codable, Sendable, Equatable {
    public var name: String
    public var template: String
    public var state: GuestState
    /// VServer's xid: a number unique among this host's guests.
    public var contextId: Int
    /// The init's pid on the host, when running.
    public var initPid: Int?
    public var processes: Int
    public var memoryBytes: UInt64?
    public var cpuSeconds: Double?
    public var uptimeSeconds: Double?
    public var limits: GuestLimits
    public var autostart: Bool
    public var network: NetworkMode
    /// The guest's addresses (isolated and private modes).
    public var addresses: [String]?
    public var capabilities: [String]
    /// With a user namespace: the host ids guest ids 0-65535 map to, e.g. "6553600-6619135".
    public var hostIDs: String?
    /// In the answer to stop only: how it went.
    public var stop: StopReport?
    /// Bumped (durably, in the agent's guest record) by every start: a
    /// move compares it with the value at its stop to tell whether the
    /// source ran since. nil from agents that do not count.
    public var generation: Int?

    public init(name: String, template: String, state: GuestState, contextId: Int, initPid: Int? = nil, processes: Int = 0,
                memoryBytes: UInt64? = nil, cpuSeconds: Double? = nil, uptimeSeconds: Double? = nil,
                limits: GuestLimits, autostart: Bool, network: NetworkMode, addresses: [String]? = nil, capabilities: [String],
                hostIDs: String? = nil, generation: Int? = nil) {
        self.hostIDs = hostIDs
        self.generation = generation
        self.name = name
        self.template = template
        self.state = state
        self.contextId = contextId
        self.initPid = initPid
        self.processes = processes
        self.memoryBytes = memoryBytes
        self.cpuSeconds = cpuSeconds
        self.uptimeSeconds = uptimeSeconds
        self.limits = limits
        self.autostart = autostart
        self.network = network
        self.addresses = addresses
        self.capabilities = capabilities
    }
}
