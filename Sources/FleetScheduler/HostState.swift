/// One host during a scheduling session: its capacity and what is allocated
/// on it so far.
struct HostState: Sendable {
    let capacity: HostCapacity
    /// Position in name order; doubles as the tie-breaker "then by name".
    let rank: Int32
    /// Memory guests may use: total minus the host's reservation.
    let usableMemory: UInt64
    /// CPU millis guests may use: capacity × overcommit, fixed for the session.
    let cpuLimit: Int
    /// Why no new guest may go here; nil when the host takes guests.
    let unavailable: RejectionKind?

    private(set) var memory: UInt64 = 0
    private(set) var cpu: Int = 0
    private(set) var disk: UInt64 = 0
    private(set) var guests: Int = 0
    /// Templates on the host: its own plus those its guests brought. A
    /// template stays when its last guest leaves, as it does on the agent.
    private(set) var templates: Set<String>
    /// Anti-affinity groups present, each with its guests here in placement order.
    private(set) var groups: [String: [String]] = [:]
    /// The candidate indexes this host is listed in, kept so an allocation
    /// change re-sorts exactly those.
    var memberships: [IndexMembership] = []

    init(capacity: HostCapacity, rank: Int32, cpuOvercommit: Double, unavailable: RejectionKind?) {
        self.capacity = capacity
        self.rank = rank
        self.usableMemory = Quantity.subtract(capacity.memoryBytes, capacity.reservedMemoryBytes)
        let scaled = (Double(max(capacity.cpuMillis, 0)) * cpuOvercommit).rounded(.down)
        self.cpuLimit = Int(min(max(scaled, 0), Double(Quantity.cpuCeiling)))
        self.unavailable = unavailable
        self.templates = capacity.templateDigests
    }

    var freeMemory: UInt64 { Quantity.subtract(usableMemory, memory) }
    var freeCpu: Int { cpuLimit - cpu }
    var freeDisk: UInt64 { Quantity.subtract(capacity.diskBytes, disk) }

    func lacksTemplate(of guest: GuestDemand) -> Bool {
        !guest.templateDigest.isEmpty && !templates.contains(guest.templateDigest)
    }

    /// Disk the guest would take here, its template's copy included.
    func diskNeed(of guest: GuestDemand) -> UInt64 {
        lacksTemplate(of: guest) ? Quantity.add(guest.diskBytes, guest.templateBytes) : guest.diskBytes
    }

    mutating func add(_ guest: GuestDemand) {
        memory = Quantity.add(memory, guest.memoryBytes)
        let (sum, overflow) = cpu.addingReportingOverflow(guest.cpuNeed)
        cpu = overflow ? .max : sum
        disk = Quantity.add(disk, diskNeed(of: guest))
        if !guest.templateDigest.isEmpty { templates.insert(guest.templateDigest) }
        if let group = guest.group { groups[group, default: []].append(guest.name) }
        guests += 1
    }

    mutating func subtract(_ guest: GuestDemand) {
        memory = Quantity.subtract(memory, guest.memoryBytes)
        cpu = max(cpu - guest.cpuNeed, 0)
        disk = Quantity.subtract(disk, guest.diskBytes)
        if let group = guest.group, var names = groups[group] {
            names.removeAll { $0 == guest.name }
            groups[group] = names.isEmpty ? nil : names
        }
        guests = max(guests - 1, 0)
    }

    var allocation: HostAllocation {
        HostAllocation(memoryBytes: memory, cpuMillis: cpu, diskBytes: disk, guests: guests)
    }
}
