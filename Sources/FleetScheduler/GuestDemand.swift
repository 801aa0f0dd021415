/// What a guest needs from the host it runs on.
public struct GuestDemand: Sendable, Equatable {
    public var name: String
    public var memoryBytes: UInt64
    /// CPUs × 1000.
    public var cpuMillis: Int
    public var diskBytes: UInt64
    /// Anti-affinity: two guests of one group never share a host.
    public var group: String?
    /// Host labels that must match exactly.
    public var requires: [String: String]
    /// The template the guest is made from; empty when it needs none.
    public var templateDigest: String
    /// Disk needed in addition on a host that lacks the template.
    public var templateBytes: UInt64

    public init(
        name: String, memoryBytes: UInt64, cpuMillis: Int, diskBytes: UInt64 = 0,
        group: String? = nil, requires: [String: String] = [:],
        templateDigest: String = "", templateBytes: UInt64 = 0
    ) {
        self.name = name
        self.memoryBytes = memoryBytes
        self.cpuMillis = cpuMillis
        self.diskBytes = diskBytes
        self.group = group
        self.requires = requires
        self.templateDigest = templateDigest
        self.templateBytes = templateBytes
    }
}

extension GuestDemand {
    /// CPU demand clamped to a sane range, so malformed input (negative or
    /// absurd values) cannot overflow the scheduler's integer arithmetic.
    var cpuNeed: Int { min(max(cpuMillis, 0), Quantity.cpuCeiling) }
}
