extension Scheduler {
    /// The standby host for the replica of `guest`, which runs on `host`:
    /// where the guest could run if that host died. The guest's own
    /// allocation is released and its host left out, then the guest is
    /// placed under the usual rules (capacity, required labels,
    /// anti-affinity with the other guests of its group, the policy), so a
    /// standby never holds the guest's group twice and never is the
    /// guest's own host. `preferred` (`--to`) is checked instead of chosen.
    /// Books nothing: the scheduler is taken by value.
    public func standby(for guest: GuestDemand, runningOn host: String, preferred: String? = nil) -> Result<String, PlacementFailure> {
        var plan = self
        plan.remove(guest: guest.name)
        if let preferred {
            if preferred == host {
                return .failure(PlacementFailure(guest: guest.name, rejections: [HostRejection(
                    host: preferred, reason: "\(preferred) runs \(guest.name) itself: a standby must be another host", kind: .cordoned)], host: preferred))
            }
            return plan.place(guest, on: preferred)
        }
        if let index = plan.hostIndexByName[host], plan.hosts[index].unavailable == nil {
            // Left out like a cordoned host: placed nowhere but elsewhere.
            plan = Scheduler(hosts: plan.hosts.map { state in
                var capacity = state.capacity
                if capacity.name == host { capacity.cordoned = true }
                if state.unavailable == .unreachable { capacity.reachable = false }
                if state.unavailable == .cordoned || state.unavailable == .evacuating { capacity.cordoned = true }
                return capacity
            }, placed: plan.guests.values.compactMap { record in record.host.map { _ in PlacedGuest(guest: record.demand, host: record.hostName) } },
               policy: policy, cpuOvercommit: cpuOvercommit)
        }
        return plan.place(guest)
    }
}
