extension Scheduler {
    /// Plans moving every guest off `host`; see `planEvacuation(of:hosts:placed:policy:cpuOvercommit:)`.
    public static func planEvacuation(
        of host: String, hosts: [HostCapacity], placed: [PlacedGuest], policy: PlacementPolicy,
        cpuOvercommit: Double = 1.0
    ) -> EvacuationPlan {
        planEvacuation(of: [host], hosts: hosts, placed: placed, policy: policy, cpuOvercommit: cpuOvercommit)
    }

    /// Plans moving every guest off every host of `draining`, none of which
    /// takes a guest meanwhile (a rack drained at once moves each guest
    /// once, never onto a host that is about to be emptied too): biggest
    /// memory first (the hardest to fit go while there is most room), within
    /// the other hosts' capacity, anti-affinity and labels, and with each
    /// move counting against its destination for the moves after it.
    public static func planEvacuation(
        of draining: Set<String>, hosts: [HostCapacity], placed: [PlacedGuest], policy: PlacementPolicy,
        cpuOvercommit: Double = 1.0
    ) -> EvacuationPlan {
        // The leaving guests are not booked anywhere while planned: their
        // hosts take nothing, and each is booked at its destination once
        // placed, so groupmates among them (from one host or several)
        // still avoid each other.
        let leavingPlaced = placed.filter { draining.contains($0.host) }
        var sources: [String: String] = [:]
        for guest in leavingPlaced where sources[guest.guest.name] == nil { sources[guest.guest.name] = guest.host }
        let leaving = leavingPlaced.map(\.guest).sorted(by: biggestFirst)
        let staying = placed.filter { !draining.contains($0.host) }
        var scheduler = Scheduler(
            hosts: hosts, placed: staying, policy: policy, cpuOvercommit: cpuOvercommit, evacuating: draining)
        let result = scheduler.placeAll(leaving)
        return EvacuationPlan(hosts: draining.sorted(), moves: result.placed, unplaceable: result.failed, sources: sources)
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
