extension Scheduler {
    /// Chooses a host for `guest` and records the allocation, so the next call sees it.
    public mutating func place(_ guest: GuestDemand) -> Result<String, PlacementFailure> {
        if let existing = guests[guest.name] { return .failure(.alreadyPlaced(guest.name, on: existing.hostName)) }
        let id = candidateIndex(for: guest.requires)
        if let host = indexes[id].best(for: guest, hosts: hosts) {
            commit(guest, to: host)
            return .success(hosts[host].capacity.name)
        }
        return refuse(guest)
    }

    /// Places on a given host (the operator's --host), under the same rules;
    /// the failure says why that host cannot take the guest.
    public mutating func place(_ guest: GuestDemand, on host: String) -> Result<String, PlacementFailure> {
        guard let index = hostIndexByName[host] else {
            return .failure(PlacementFailure(guest: guest.name, rejections: [Self.unknownHost(host)], host: host))
        }
        if let existing = guests[guest.name] { return .failure(.alreadyPlaced(guest.name, on: existing.hostName)) }
        if let rejection = HostRules.rejection(of: guest, on: hosts[index], cpuOvercommit: cpuOvercommit) {
            return .failure(PlacementFailure(guest: guest.name, rejections: [rejection], host: host))
        }
        commit(guest, to: index)
        return .success(host)
    }

    /// Why `host` could not take `guest` now, or nil if it could. Books
    /// nothing, and does not look at where the guest may already be placed.
    public func check(_ guest: GuestDemand, on host: String) -> HostRejection? {
        guard let index = hostIndexByName[host] else { return Self.unknownHost(host) }
        return HostRules.rejection(of: guest, on: hosts[index], cpuOvercommit: cpuOvercommit)
    }

    private static func unknownHost(_ host: String) -> HostRejection {
        HostRejection(
            host: host, reason: "no host named \(host) is enrolled (vfleet host list shows the enrolled hosts)",
            kind: .unknownHost)
    }

    /// Removes a guest's allocation (for planning moves). Templates it brought
    /// stay on the host's disk, as they do on the agent.
    public mutating func remove(guest name: String) {
        guard let record = guests.removeValue(forKey: name) else { return }
        release(record)
    }

    /// Places many, in the order given (callers sort, e.g. biggest first).
    public mutating func placeAll(_ guests: [GuestDemand]) -> (placed: [PlacedGuest], failed: [PlacementFailure]) {
        var placed: [PlacedGuest] = []
        var failed: [PlacementFailure] = []
        placed.reserveCapacity(guests.count)
        self.guests.reserveCapacity(self.guests.count + guests.count)
        for guest in guests {
            switch place(guest) {
            case .success(let host): placed.append(PlacedGuest(guest: guest, host: host))
            case .failure(let failure): failed.append(failure)
            }
        }
        return (placed, failed)
    }

    /// The slow path, taken only when the index found no host: words every
    /// host's reason.
    private mutating func refuse(_ guest: GuestDemand) -> Result<String, PlacementFailure> {
        var rejections: [HostRejection] = []
        rejections.reserveCapacity(hosts.count)
        var missed: Int?
        for (index, host) in hosts.enumerated() {
            if let rejection = HostRules.rejection(of: guest, on: host, cpuOvercommit: cpuOvercommit) {
                rejections.append(rejection)
            } else if missed == nil {
                missed = index
            }
        }
        if let missed {
            // The index and the rules disagree: a bug. Tests stop here; a
            // release build still places the guest where the rules allow it.
            assertionFailure("scheduler index missed host \(hosts[missed].capacity.name) for guest \(guest.name)")
            commit(guest, to: missed)
            return .success(hosts[missed].capacity.name)
        }
        return .failure(PlacementFailure(guest: guest.name, rejections: rejections))
    }
}
