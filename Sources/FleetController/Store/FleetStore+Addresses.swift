import FleetProtocol
import Foundation
import GRDB

extension FleetStore {
    // MARK: pools

    public func pools() throws(FleetError) -> [StoredAddressPool] {
        try read { db in try StoredAddressPool.order(Column("name")).fetchAll(db) }
    }

    public func pool(_ name: String) throws(FleetError) -> StoredAddressPool {
        guard let p = try read({ db in try StoredAddressPool.fetchOne(db, key: name) }) else {
            let known = ((try? pools()) ?? []).map(\.name)
            throw .notFound("unknown address pool \(name) (known: \(known.isEmpty ? "none; add one with `vfleet net pool add`" : known.joined(separator: ", ")))")
        }
        return p
    }

    /// Adds a pool; refused when it overlaps another, since an address could
    /// then belong to two pools.
    public func insertPool(_ pool: StoredAddressPool) throws(FleetError) {
        guard let subnet = pool.subnet else { throw .invalid("address pool \(pool.name): \(pool.cidr) is not a network (use A/P, e.g. 10.40.0.0/24)") }
        try write { db in
            if try StoredAddressPool.exists(db, key: pool.name) { throw FleetError.conflict("address pool \(pool.name) exists already") }
            for other in try StoredAddressPool.fetchAll(db) {
                guard let o = other.subnet else { continue }
                if o.contains(subnet.network) || subnet.contains(o.network) {
                    throw FleetError.conflict("address pool \(pool.name) (\(pool.cidr)) overlaps pool \(other.name) (\(other.cidr)); an address must belong to one pool")
                }
            }
            try pool.insert(db)
        }
    }

    public func removePool(_ name: String) throws(FleetError) {
        try write { db in
            guard try StoredAddressPool.exists(db, key: name) else { throw FleetError.notFound("unknown address pool \(name)") }
            let used = try StoredAddress.filter(Column("pool") == name).fetchAll(db)
            if !used.isEmpty {
                throw FleetError.conflict("cannot remove address pool \(name): \(used.count) of its addresses are given to guests (\(Set(used.map(\.guest)).sorted().prefix(5).joined(separator: ", "))); destroy them first")
            }
            _ = try StoredAddressPool.deleteOne(db, key: name)
        }
    }

    // MARK: addresses

    public func addresses() throws(FleetError) -> [StoredAddress] {
        try read { db in try StoredAddress.fetchAll(db) }.sorted { (IPv4Address($0.address)?.value ?? 0) < (IPv4Address($1.address)?.value ?? 0) }
    }

    /// Records a guest, its placement and its addresses as one transaction.
    /// `allocateFrom`: a pool to take one more address from (the lowest free
    /// one that is no host's address and not the pool's gateway); it is added
    /// to the guest's spec. Returns the guest as recorded.
    public func insertGuest(_ guest: StoredGuest, on host: String, allocateFrom pool: StoredAddressPool?) throws(FleetError) -> StoredGuest {
        // Two controllers allocating at once: the loser's insert of the same
        // address fails on the primary key (or its snapshot is stale); it
        // tries again and takes the next free address.
        var attempt = 0
        while true {
            do {
                return try insertGuestOnce(guest, on: host, allocateFrom: pool)
            } catch let e as DatabaseError where attempt < 8 && (e.resultCode == .SQLITE_CONSTRAINT || e.resultCode == .SQLITE_BUSY) {
                attempt += 1
                usleep(UInt32.random(in: 1_000...20_000))
            } catch let e as FleetError {
                throw e
            } catch {
                throw .failed("controller store \(path): \(error)")
            }
        }
    }

    private func insertGuestOnce(_ guest: StoredGuest, on host: String, allocateFrom pool: StoredAddressPool?) throws -> StoredGuest {
        try writeTransaction { db in
            if try StoredGuest.exists(db, key: guest.name) { throw FleetError.conflict("guest \(guest.name) exists already") }
            var g = guest
            if let pool {
                guard let subnet = pool.subnet, let range = subnet.assignable else {
                    throw FleetError.invalid("address pool \(pool.name) has no assignable address")
                }
                var taken = Set(try String.fetchAll(db, sql: "SELECT address FROM addresses").compactMap { IPv4Address($0)?.value })
                for h in try StoredHost.fetchAll(db) { if let a = IPv4Address(h.address) { taken.insert(a.value) } }
                if let gw = pool.gateway.flatMap(IPv4Address.init) { taken.insert(gw.value) }
                guard let free = range.first(where: { !taken.contains($0) }) else {
                    throw FleetError.conflict("address pool \(pool.name) (\(pool.cidr)) is exhausted: every address is given (add a pool, or destroy guests)")
                }
                let a = IPv4Address(free)
                g.spec.addresses = (g.spec.addresses ?? []) + [g.spec.network == .private ? "\(a)/\(subnet.prefix)" : a.description]
                if g.spec.network == .private && g.spec.gateway == nil { g.spec.gateway = pool.gateway }
            }
            try g.insert(db)
            try StoredPlacement(guest: g.name, host: host, placedAt: Date().timeIntervalSince1970).insert(db)
            let pools = try StoredAddressPool.fetchAll(db)
            for cidr in g.spec.interfaceAddresses {
                let a = cidr.address
                if let owner = try String.fetchOne(db, sql: "SELECT guest FROM addresses WHERE address = ?", arguments: [a.description]) {
                    throw FleetError.conflict("address \(a) is given to guest \(owner) already (choose another --ip, or let a pool choose)")
                }
                let from = pools.first { $0.subnet?.contains(a) ?? false }?.name
                try StoredAddress(address: a.description, guest: g.name, pool: from, allocatedAt: Date().timeIntervalSince1970).insert(db)
            }
            return g
        }
    }
}
