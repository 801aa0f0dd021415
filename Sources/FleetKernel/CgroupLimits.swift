/// The resource limits the kernel layer knows how to apply to a cgroup.
public struct CgroupLimits: Sendable, Equatable, Codable {
    /// Hard memory limit in bytes (swap is not allowed on top of it).
    public var memoryBytes: UInt64?
    /// CPU bandwidth in thousandths of a CPU (1500 = 1.5 CPUs).
    public var cpuMillis: Int?
    /// Relative CPU share, 1…10000, 100 being the default.
    public var cpuWeight: Int?
    /// Maximum number of tasks.
    public var pids: Int?
    /// Relative block I/O weight, 1…10000, 100 being the default.
    public var ioWeight: Int?

    public init(memoryBytes: UInt64? = nil, cpuMillis: Int? = nil, cpuWeight: Int? = nil, pids: Int? = nil, ioWeight: Int? = nil) {
        self.memoryBytes = memoryBytes
        self.cpuMillis = cpuMillis
        self.cpuWeight = cpuWeight
        self.pids = pids
        self.ioWeight = ioWeight
    }

    /// The CFS period used for cpu quotas, in microseconds.
    public static let cpuPeriodMicros = 100_000
}

/// What a guest's cgroup has used.
public struct CgroupUsage: Sendable, Equatable, Codable {
    public var memoryBytes: UInt64?
    public var cpuNanos: UInt64?
    public var processes: Int

    public init(memoryBytes: UInt64? = nil, cpuNanos: UInt64? = nil, processes: Int = 0) {
        self.memoryBytes = memoryBytes
        self.cpuNanos = cpuNanos
        self.processes = processes
    }
}
