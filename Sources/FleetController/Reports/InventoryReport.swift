import FleetProtocol

/// `vfleet inventory`: the whole fleet as the controller wants it and as the
/// hosts report it, with drift marked.
public struct InventoryReport: Codable, Sendable, Equatable {
    public var generatedAt: Double
    public var hosts: [HostReport]
    public var guests: [GuestReport]
    public var summary: Summary

    public init(generatedAt: Double, hosts: [HostReport], guests: [GuestReport]) {
        self.generatedAt = generatedAt
        self.hosts = hosts
        self.guests = guests
        self.summary = Summary(
            hosts: hosts.count, reachableHosts: hosts.filter(\.reachable).count,
            guests: guests.count, runningGuests: guests.filter { $0.actualState == "running" }.count,
            driftedGuests: guests.filter(\.drift).count)
    }

    public struct Summary: Codable, Sendable, Equatable {
        public var hosts: Int
        public var reachableHosts: Int
        public var guests: Int
        public var runningGuests: Int
        public var driftedGuests: Int
    }
}

public struct ResourceAmounts: Codable, Sendable, Equatable {
    public var memoryBytes: UInt64
    public var cpuMillis: Int
    public var diskBytes: UInt64

    public init(memoryBytes: UInt64 = 0, cpuMillis: Int = 0, diskBytes: UInt64 = 0) {
        self.memoryBytes = memoryBytes
        self.cpuMillis = cpuMillis
        self.diskBytes = diskBytes
    }
}

public struct HostReport: Codable, Sendable, Equatable {
    public var name: String
    public var address: String
    public var reachable: Bool
    /// Why it is unreachable.
    public var error: String?
    public var cordoned: Bool
    /// active, evacuating, evacuated.
    public var state: String
    public var kernel: String?
    public var cgroupMode: String?
    public var labels: [String: String]
    /// Memory and cpus of the host; disk: free space for guests at enrolment.
    public var capacity: ResourceAmounts
    public var reservedMemoryBytes: UInt64
    /// What the store places there (limits or defaults of its guests).
    public var allocated: ResourceAmounts
    /// What its guests use now (memory of running guests; cpu seconds).
    public var usedMemoryBytes: UInt64?
    public var usedCPUSeconds: Double?
    public var freeDiskBytes: UInt64?
    /// Guests the store places there.
    public var guestCount: Int
    /// Guests the agent has that the controller does not know: reported, never deleted.
    public var unknownGuests: [String]

    public init(name: String, address: String, reachable: Bool, error: String?, cordoned: Bool, state: String,
                kernel: String?, cgroupMode: String?, labels: [String: String], capacity: ResourceAmounts,
                reservedMemoryBytes: UInt64, allocated: ResourceAmounts, usedMemoryBytes: UInt64?, usedCPUSeconds: Double?,
                freeDiskBytes: UInt64?, guestCount: Int, unknownGuests: [String]) {
        self.name = name
        self.address = address
        self.reachable = reachable
        self.error = error
        self.cordoned = cordoned
        self.state = state
        self.kernel = kernel
        self.cgroupMode = cgroupMode
        self.labels = labels
        self.capacity = capacity
        self.reservedMemoryBytes = reservedMemoryBytes
        self.allocated = allocated
        self.usedMemoryBytes = usedMemoryBytes
        self.usedCPUSeconds = usedCPUSeconds
        self.freeDiskBytes = freeDiskBytes
        self.guestCount = guestCount
        self.unknownGuests = unknownGuests
    }
}

public struct GuestReport: Codable, Sendable, Equatable {
    public var name: String
    public var host: String?
    public var template: String
    public var group: String?
    /// running or stopped.
    public var desiredState: String
    /// running, stopped, missing (the host lacks it), unknown (host unreachable).
    public var actualState: String
    public var drift: Bool
    public var driftReason: String?
    public var limits: GuestLimits
    public var reserved: ResourceAmounts
    public var memoryBytes: UInt64?
    public var cpuSeconds: Double?
    public var processes: Int?
    public var uptimeSeconds: Double?

    public init(name: String, host: String?, template: String, group: String?, desiredState: String, actualState: String,
                drift: Bool, driftReason: String?, limits: GuestLimits, reserved: ResourceAmounts, memoryBytes: UInt64?,
                cpuSeconds: Double?, processes: Int?, uptimeSeconds: Double?) {
        self.name = name
        self.host = host
        self.template = template
        self.group = group
        self.desiredState = desiredState
        self.actualState = actualState
        self.drift = drift
        self.driftReason = driftReason
        self.limits = limits
        self.reserved = reserved
        self.memoryBytes = memoryBytes
        self.cpuSeconds = cpuSeconds
        self.processes = processes
        self.uptimeSeconds = uptimeSeconds
    }
}
