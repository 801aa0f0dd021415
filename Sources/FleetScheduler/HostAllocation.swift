/// What is allocated on one host: the sum over its guests, plus the disk of
/// templates its guests brought.
public struct HostAllocation: Sendable, Equatable {
    public var memoryBytes: UInt64
    public var cpuMillis: Int
    public var diskBytes: UInt64
    public var guests: Int

    public init(memoryBytes: UInt64, cpuMillis: Int, diskBytes: UInt64, guests: Int) {
        self.memoryBytes = memoryBytes
        self.cpuMillis = cpuMillis
        self.diskBytes = diskBytes
        self.guests = guests
    }
}
