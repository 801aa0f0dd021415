extension Scheduler {
    /// Plans moving every guest off `host`, which takes no guest meanwhile:
    /// biggest memory first (the hardest to fit go while there is most room),
    /// within the other hosts' capacity, anti-affinity and labels, and with
    /// each move counting against its destination for the moves after it.
    public static func planEvacuation(
        of host: String, hosts: [HostCapacity], placed: [PlacedGuest], policy: PlacementPolicy,
        cpuOvercommit: Double = 1.0
    ) -> EvacuationPlan {
        // The leaving guests are not booked anywhere while planned: the
        // source takes nothing, and each is booked at its destination once
        // placed, so groupmates among them still avoid each other.
        let leaving = placed.filter { $0.host == host }.map(\.guest).sorted(by: biggestFirst)
        let staying = placed.filter { $0.host != host }
        var scheduler = Scheduler(
            hosts: hosts, placed: staying, policy: policy, cpuOvercommit: cpuOvercommit, evacuating: host)
        let result = scheduler.placeAll(leaving)
        return EvacuationPlan(host: host, moves: result.placed, unplaceable: result.failed)
    }

    /// Memory, then CPU, then disk, descending; then name, so the order (and
    /// so the plan) does not depend on the order of `placed`.
    private static func biggestFirst(_ a: GuestDemand, _ b: GuestDemand) -> Bool {
        if a.memoryBytes != b.memoryBytes { return a.memoryBytes > b.memoryBytes }
        if a.cpuMillis != b.cpuMillis { return a.cpuMillis > b.cpuMillis }
        if a.diskBytes != b.diskBytes { return a.diskBytes > b.diskBytes }
        return a.name < b.name
    }
}
