/// A guest's resource limits as an operator gives them.
public struct GuestLimits: Codable, Sendable, Equatable {
    public var memoryBytes: UInt64?
    /// Thousandths of a CPU: 1500 = 1.5 CPUs.
    public var cpuMillis: Int?
    public var cpuWeight: Int?
    public var pids: Int?
    public var ioWeight: Int?
    /// The size of the guest's writable layer (--disk): a file system of
    /// its own, so a write past it fails inside the guest. nil: no limit
    /// (the layer lives on the host's state file system).
    public var diskBytes: UInt64?

    public init(memoryBytes: UInt64? = nil, cpuMillis: Int? = nil, cpuWeight: Int? = nil, pids: Int? = nil, ioWeight: Int? = nil,
                diskBytes: UInt64? = nil) {
        self.diskBytes = diskBytes
        self.memoryBytes = memoryBytes
        self.cpuMillis = cpuMillis
        self.cpuWeight = cpuWeight
        self.pids = pids
        self.ioWeight = ioWeight
    }

    public static let minimumMemory: UInt64 = 4 << 20
    /// ext4's metadata and journal take about 2M of a layer's disk.
    public static let minimumDisk: UInt64 = 16 << 20
    public static let maximumDisk: UInt64 = 1 << 50

    /// Parses "--cpus 1.5" into thousandths.
    public static func parseCPUs(_ text: String) -> Int? {
        guard let v = Double(text.trimmingSpaces()), v.isFinite, v > 0 else { return nil }
        return Int((v * 1000).rounded())
    }

    public func validate() throws(FleetError) {
        if let m = memoryBytes, m < Self.minimumMemory {
            throw .invalid("memory limit \(ByteSize.format(m)) is below the minimum of 4M (raise --memory)")
        }
        if let c = cpuMillis, c < 10 || c > 1_024_000 {
            throw .invalid("cpu limit \(Double(c) / 1000) is out of range (0.01 to 1024 CPUs)")
        }
        if let w = cpuWeight, !(1...10000).contains(w) {
            throw .invalid("cpu weight \(w) is out of range (1 to 10000, default 100)")
        }
        if let p = pids, p < 1 || p > 4_194_304 {
            throw .invalid("pids limit \(p) is out of range (1 to 4194304)")
        }
        if let w = ioWeight, !(1...10000).contains(w) {
            throw .invalid("io weight \(w) is out of range (1 to 10000, default 100)")
        }
        if let d = diskBytes, d < Self.minimumDisk || d > Self.maximumDisk {
            throw .invalid("disk limit \(ByteSize.format(d)) is out of range (16M to 1P; raise --disk)")
        }
    }
}
