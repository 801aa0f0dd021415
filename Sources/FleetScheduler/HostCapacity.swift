/// A host as the scheduler sees it: what it has and whether it takes guests.
public struct HostCapacity: Sendable, Equatable {
    public var name: String
    /// Total memory.
    public var memoryBytes: UInt64
    /// CPUs × 1000.
    public var cpuMillis: Int
    /// Disk for guests: free space under the agent's state directory at enrolment.
    public var diskBytes: UInt64
    /// Kept for the host itself; never allocated to guests.
    public var reservedMemoryBytes: UInt64
    public var labels: [String: String]
    /// No new placements; also set for hosts being evacuated or evacuated.
    public var cordoned: Bool
    /// An unreachable host gets no new placement.
    public var reachable: Bool
    /// Templates the host already has, so guests made from them need no
    /// template copy on its disk.
    public var templateDigests: Set<String>

    public init(
        name: String, memoryBytes: UInt64, cpuMillis: Int, diskBytes: UInt64,
        reservedMemoryBytes: UInt64 = 0, labels: [String: String] = [:],
        cordoned: Bool = false, reachable: Bool = true, templateDigests: Set<String> = []
    ) {
        self.name = name
        self.memoryBytes = memoryBytes
        self.cpuMillis = cpuMillis
        self.diskBytes = diskBytes
        self.reservedMemoryBytes = reservedMemoryBytes
        self.labels = labels
        self.cordoned = cordoned
        self.reachable = reachable
        self.templateDigests = templateDigests
    }
}
