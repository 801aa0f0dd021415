extension Scheduler {
    /// The index of available hosts carrying `requires`, built on first use.
    mutating func candidateIndex(for requires: [String: String]) -> Int {
        if let id = indexByRequirement[requires] { return id }
        let members = availableHosts(carrying: requires)
        let index = CandidateIndex(policy: policy, members: members, hosts: hosts)
        let id = indexes.count
        indexes.append(index)
        indexByRequirement[requires] = id
        for member in members {
            hosts[member].memberships.append(IndexMembership(index: Int32(id), slot: index.slot(of: hosts[member])))
        }
        return id
    }

    /// Starts from the rarest required label, so pinning a guest with a
    /// label few hosts carry does not scan the fleet.
    private func availableHosts(carrying requires: [String: String]) -> [Int] {
        guard !requires.isEmpty else { return availableHosts }
        let carriers = requires.map { availableHostsByLabel[LabelPair(key: $0.key, value: $0.value)] ?? [] }
        let rarest = carriers.min { $0.count < $1.count } ?? []
        return rarest.filter { HostRules.labelsMatch(requires, hosts[$0]) }
    }

    /// Books the guest on a host and re-sorts the host in every index
    /// listing it, so the next placement sees the new allocation.
    mutating func commit(_ guest: GuestDemand, to host: Int) {
        let memberships = hosts[host].memberships
        for membership in memberships { indexes[Int(membership.index)].remove(hosts[host], slot: membership.slot) }
        hosts[host].add(guest)
        for membership in memberships { indexes[Int(membership.index)].insert(hosts[host], slot: membership.slot) }
        guests[guest.name] = GuestRecord(demand: guest, hostName: hosts[host].capacity.name, host: host)
    }

    mutating func release(_ record: GuestRecord) {
        guard let host = record.host else { return }
        let memberships = hosts[host].memberships
        for membership in memberships { indexes[Int(membership.index)].remove(hosts[host], slot: membership.slot) }
        hosts[host].subtract(record.demand)
        for membership in memberships { indexes[Int(membership.index)].insert(hosts[host], slot: membership.slot) }
    }
}
