/// What an agent says about its host in `hello`.
public struct HostFacts: Codable, Sendable, Equatable {
    public var hostname: String
    public var kernel: String
    public var cgroupMode: String
    public var cpus: Int
    public var memoryBytes: UInt64
    /// Free space on the file system of the agent's state directory.
    public var freeDiskBytes: UInt64
    public var templates: [TemplateInfo]
    public var guests: [GuestStatus]

    public init(hostname: String, kernel: String, cgroupMode: String, cpus: Int, memoryBytes: UInt64,
                freeDiskBytes: UInt64, templates: [TemplateInfo], guests: [GuestStatus]) {
        self.hostname = hostname
        self.kernel = kernel
        self.cgroupMode = cgroupMode
        self.cpus = cpus
        self.memoryBytes = memoryBytes
        self.freeDiskBytes = freeDiskBytes
        self.templates = templates
        self.guests = guests
    }
}

/// The reply to `hello`.
public struct HelloResult: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    public var agentVersion: String
    public var host: HostFacts

    public init(protocolVersion: Int, agentVersion: String, host: HostFacts) {
        self.protocolVersion = protocolVersion
        self.agentVersion = agentVersion
        self.host = host
    }
}

public enum ProtocolVersion {
    /// Bumped on any incompatible change of a method or message.
    public static let current = 1
    public static let agentVersion = "0.1.0"
}
