/// The fleet's sums for the top of the HTML report: capacity, what the
/// store allocates, what guests use, and the hosts that need attention.
struct InventoryFleetTotals {
    var memoryCapacity: UInt64 = 0
    var memoryReserved: UInt64 = 0
    var memoryAllocated: UInt64 = 0
    /// Of the reachable hosts only: an unreachable host's use is unknown.
    var memoryUsed: UInt64 = 0
    var cpuCapacityMillis = 0
    var cpuAllocatedMillis = 0
    var cpuSecondsUsed = 0.0
    var unreachable: [HostReport] = []
    var cordoned = 0
    /// Hosts evacuating or evacuated.
    var evacuating = 0
    /// Guests by actual state, most common first.
    var guestStates: [(state: String, count: Int)] = []

    init(_ r: InventoryReport) {
        for h in r.hosts {
            // Saturating: the figures come from agents, and a wrong one must not stop the report.
            memoryCapacity = Self.sum(memoryCapacity, h.capacity.memoryBytes)
            memoryReserved = Self.sum(memoryReserved, h.reservedMemoryBytes)
            memoryAllocated = Self.sum(memoryAllocated, h.allocated.memoryBytes)
            memoryUsed = Self.sum(memoryUsed, h.usedMemoryBytes ?? 0)
            cpuCapacityMillis = Self.sum(cpuCapacityMillis, h.capacity.cpuMillis)
            cpuAllocatedMillis = Self.sum(cpuAllocatedMillis, h.allocated.cpuMillis)
            if let seconds = h.usedCPUSeconds, seconds.isFinite { cpuSecondsUsed += seconds }
            if !h.reachable { unreachable.append(h) }
            if h.cordoned { cordoned += 1 }
            if h.state != "active" && !h.state.isEmpty { evacuating += 1 }
        }
        var states: [String: Int] = [:]
        for g in r.guests { states[g.actualState, default: 0] += 1 }
        guestStates = states.map { (state: $0.key, count: $0.value) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.state < $1.state }
    }

    static func sum<N: FixedWidthInteger>(_ a: N, _ b: N) -> N {
        let (total, overflow) = a.addingReportingOverflow(b)
        return overflow ? N.max : total
    }
}
