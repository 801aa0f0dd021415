extension Scheduler {
    /// The standby host for the replica of `guest`, which runs on `host`:
    /// where the guest could run if that host died. The guest's own
    /// allocation is released and its host left out, then the guest is
    /// placed under the usual rules (capacity, required labels,
    /// anti-affinity with the other guests of its group, the policy), so a
    /// standby never holds the guest's group twice and never is the
    /// guest's own host. `preferred` (`--to`) is checked instead of chosen.
    /// Books nothing: the scheduler is taken by value.
    ///
    /// `replicas`: the replicas of other guests and the hosts that hold
    /// them. When the standby is chosen (not `preferred`), each counts on
    /// its host as booked memory, CPU and disk, as if its guest had failed
    /// over there: without it every standby lands on the same emptiest
    /// host, which one host's failure would then fill. Their groups are not
    /// counted (two members of a group meet on a standby only when both
    /// their hosts died), and the guest's own replica is left out.
    public func standby(for guest: GuestDemand, runningOn host: String, preferred: String? = nil,
                        replicas: [PlacedGuest] = []) -> Result<String, PlacementFailure> {
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
        for replica in replicas where replica.guest.name != guest.name {
            var resources = replica.guest
            resources.group = nil
            plan.book(resources, onHostNamed: replica.host)
        }
        return plan.place(guest)
    }

    /// Counts `demand` on a host without recording a guest (a replica's
    /// share in the standby view), re-sorting the indexes listing the host.
    mutating func book(_ demand: GuestDemand, onHostNamed name: String) {
        guard let host = hostIndexByName[name] else { return }
        let memberships = hosts[host].memberships
        for membership in memberships { indexes[Int(membership.index)].remove(hosts[host], slot: membership.slot) }
        hosts[host].add(demand)
        for membership in memberships { indexes[Int(membership.index)].insert(hosts[host], slot: membership.slot) }
    }
}
