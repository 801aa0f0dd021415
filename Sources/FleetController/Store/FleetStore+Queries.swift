import FleetProtocol
import Foundation
import GRDB

extension FleetStore {
    // MARK: hosts

    public func hosts() throws(FleetError) -> [StoredHost] {
        try read { db in try StoredHost.order(Column("name")).fetchAll(db) }
    }

    /// The hosts without their stored facts (no JSON to decode per host):
    /// for callers that ask the hosts anyway, like the inventory.
    public func hostsWithoutFacts() throws(FleetError) -> [StoredHost] {
        try read { db in try StoredHost.fetchAll(db, sql: Self.hostsWithoutFactsSQL + " ORDER BY name") }
    }

    /// One host without its stored facts (the keeper reads one per call).
    public func hostWithoutFacts(_ name: String) throws(FleetError) -> StoredHost {
        guard let h = try read({ db in try StoredHost.fetchOne(db, sql: Self.hostsWithoutFactsSQL + " WHERE name = ?", arguments: [name]) }) else {
            throw .notFound("unknown host \(name)")
        }
        return h
    }

    static let hostsWithoutFactsSQL = """
        SELECT name, address, port, user, identityFile, labels, reservedMemoryBytes, cordoned, state,
               NULL AS facts, hostKeyFingerprint, addedAt, lastSeenAt FROM hosts
        """

    public func host(_ name: String) throws(FleetError) -> StoredHost {
        let found = try read { db in try StoredHost.fetchOne(db, key: name) }
        guard let found else {
            let known = (try? hosts().map(\.name)) ?? []
            throw .notFound("unknown host \(name) (known: \(known.isEmpty ? "none; enrol one with `vfleet host add`" : known.joined(separator: ", ")))")
        }
        return found
    }

    public func insertHost(_ host: StoredHost) throws(FleetError) {
        try write { db in
            if try StoredHost.exists(db, key: host.name) { throw FleetError.conflict("host \(host.name) is enrolled already") }
            try host.insert(db)
        }
    }

    /// Stores what hosts just reported, touching only their facts and
    /// last-seen time (a cordon made meanwhile stays), in one transaction.
    public func recordFacts(_ reports: [(String, HostFacts)], seenAt: Double) throws(FleetError) {
        guard !reports.isEmpty else { return }
        let encoder = JSONEncoder()
        try write { db in
            for (name, facts) in reports {
                let json = String(decoding: try encoder.encode(facts), as: UTF8.self)
                try db.execute(sql: "UPDATE hosts SET facts = ?, lastSeenAt = ? WHERE name = ?", arguments: [json, seenAt, name])
            }
        }
    }

    public func updateHost(_ host: StoredHost) throws(FleetError) {
        try write { db in try host.update(db) }
    }

    public func removeHost(_ name: String) throws(FleetError) {
        try write { db in
            let placed = try StoredPlacement.filter(Column("host") == name).fetchAll(db).map(\.guest)
            if !placed.isEmpty {
                throw FleetError.conflict("cannot remove host \(name): guests \(placed.sorted().joined(separator: ", ")) are placed there (move or destroy them first)")
            }
            guard try StoredHost.deleteOne(db, key: name) else { throw FleetError.notFound("unknown host \(name)") }
        }
    }

    // MARK: templates

    public func templates() throws(FleetError) -> [StoredTemplate] {
        try read { db in try StoredTemplate.order(Column("name")).fetchAll(db) }
    }

    public func template(_ name: String) throws(FleetError) -> StoredTemplate {
        let found = try read { db in try StoredTemplate.fetchOne(db, key: name) }
        guard let found else {
            let known = (try? templates().map(\.name)) ?? []
            throw .notFound("unknown template \(name) (known: \(known.isEmpty ? "none; add one with `vfleet template add`" : known.joined(separator: ", ")))")
        }
        return found
    }

    public func insertTemplate(_ t: StoredTemplate) throws(FleetError) {
        try write { db in
            if try StoredTemplate.exists(db, key: t.name) { throw FleetError.conflict("template \(t.name) exists already") }
            try t.insert(db)
        }
    }

    // MARK: guests and placements

    public func guests() throws(FleetError) -> [StoredGuest] {
        try read { db in try StoredGuest.order(Column("name")).fetchAll(db) }
    }

    public func guest(_ name: String) throws(FleetError) -> StoredGuest {
        let found = try read { db in try StoredGuest.fetchOne(db, key: name) }
        guard let found else { throw .notFound("unknown guest \(name) (see `vfleet guest list`)") }
        return found
    }

    public func placements() throws(FleetError) -> [StoredPlacement] {
        try read { db in try StoredPlacement.fetchAll(db) }
    }

    public func placement(of guest: String) throws(FleetError) -> StoredPlacement? {
        try read { db in try StoredPlacement.fetchOne(db, key: guest) }
    }

    /// Records a guest and its placement in one transaction.
    public func insertGuest(_ guest: StoredGuest, on host: String) throws(FleetError) {
        _ = try insertGuest(guest, on: host, allocateFrom: nil)
    }

    public func updateGuest(_ guest: StoredGuest) throws(FleetError) {
        try write { db in try guest.update(db) }
    }

    public func setDesiredState(_ name: String, _ state: StoredGuest.DesiredState) throws(FleetError) {
        try write { db in
            guard var g = try StoredGuest.fetchOne(db, key: name) else { throw FleetError.notFound("unknown guest \(name)") }
            g.desiredState = state
            try g.update(db)
        }
    }

    public func movePlacement(of guest: String, to host: String) throws(FleetError) {
        try write { db in
            try StoredPlacement(guest: guest, host: host, placedAt: Date().timeIntervalSince1970).upsert(db)
        }
    }

    public func deleteGuest(_ name: String) throws(FleetError) {
        try write { db in _ = try StoredGuest.deleteOne(db, key: name) }
    }

    // MARK: settings

    public func setting(_ key: String) throws(FleetError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key]) }
    }

    public func setSetting(_ key: String, _ value: String) throws(FleetError) {
        try write { db in try db.execute(sql: "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", arguments: [key, value]) }
    }

    public func settings() throws(FleetError) -> [String: String] {
        try read { db in
            var out: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key, value FROM settings") { out[row["key"]] = row["value"] }
            return out
        }
    }
}
