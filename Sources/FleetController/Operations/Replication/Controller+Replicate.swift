import FleetProtocol
import FleetScheduler
import Foundation

/// Replicas (docs/ARCHITECTURE.md, replicas): `vfleet guest replicate`
/// chooses or checks the standby host, records it, and syncs at once; a
/// sync is recorded as an event (guest.sync) and its point in the store.
extension Controller {
    public struct ReplicaSummary: Sendable, Codable, Equatable {
        public var guest: String
        public var host: String
        public var everySeconds: Double?
        public var point: Int?
        public var takenAt: Double?
        /// Seconds since the point was taken (the recovery point's age).
        public var ageSeconds: Double?
        public var digest: String?
        public var totalBytes: UInt64?
        public var fileCount: Int?
        public var frozenSeconds: Double?
        public var lastSyncAt: Double?
        public var lastError: String?
        /// How the sync just made went: "direct", "relay", or "relay
        /// (direct failed: …)"; nil when no sync was made.
        public var transport: String?

        init(_ r: StoredReplica, now: Double = Date().timeIntervalSince1970) {
            guest = r.guest
            host = r.host
            everySeconds = r.everySeconds
            point = r.point
            takenAt = r.takenAt
            ageSeconds = r.takenAt.map { max(0, now - $0) }
            digest = r.digest
            totalBytes = r.totalBytes
            fileCount = r.fileCount
            frozenSeconds = r.frozenSeconds
            lastSyncAt = r.lastSyncAt
            lastError = r.lastError
        }
    }

    /// `vfleet guest replicate NAME [--to HOST] [--every 5m]`: keeps a
    /// replica of the guest on a standby host and syncs it now. A new
    /// standby drops the replica on the old one (after the first sync to
    /// the new one succeeded, so the guest is never without a point).
    public func replicateGuest(_ name: String, to requested: String?, every: Double?,
                               transport: LayerTransportMode = .auto) throws(FleetError) -> ReplicaSummary {
        if let every, !(every >= 10 && every <= 7 * 86400) { throw .invalid("--every must be between 10s and 7d") }
        let guest = try store.guest(name)
        try Self.checkReplicable(guest)
        let source = try hostOf(name)
        let existing = try store.replica(of: name)
        let standby: String
        if let requested {
            _ = try store.host(requested)
            standby = try chooseStandby(for: guest, on: source.name, preferred: requested)
        } else if let existing, existing.host != source.name {
            standby = existing.host
        } else {
            standby = try chooseStandby(for: guest, on: source.name, preferred: nil)
        }
        var replica = existing ?? StoredReplica(guest: name, host: standby, everySeconds: every, createdAt: Date().timeIntervalSince1970)
        let oldHost = existing?.host
        if existing != nil && oldHost != standby {
            replica = StoredReplica(guest: name, host: standby, everySeconds: every ?? existing?.everySeconds, createdAt: Date().timeIntervalSince1970)
        }
        if let every { replica.everySeconds = every }
        // The standby gets the guest's template now (the replica is only the
        // guest's own layer): a failover then needs nothing from the dead
        // host, nor the time to send it.
        try ensureTemplate(try store.template(guest.template), on: try store.host(standby))
        try store.saveReplica(replica)
        let synced = try syncReplica(name, transport: transport)
        if let oldHost, oldHost != standby, let old = try? store.host(oldHost) {
            _ = try? agents.call(RPC.ReplicaDrop(name: name), on: old)
        }
        return synced
    }

    /// The scheduler's standby for `guest` running on `host` (or the check of `preferred`).
    /// Other guests' replicas count where they are kept (the standby view:
    /// Scheduler.standby), so that standbys spread.
    func chooseStandby(for guest: StoredGuest, on host: String, preferred: String?) throws(FleetError) -> String {
        let templates = Dictionary(uniqueKeysWithValues: try store.templates().map { ($0.name, $0) })
        let guests = Dictionary(uniqueKeysWithValues: try store.guests().map { ($0.name, $0) })
        let pools = try store.pools()
        let held = try store.replicas().compactMap { r in
            guests[r.guest].map { PlacedGuest(guest: demand($0, templates: templates, pools: pools), host: r.host) }
        }
        switch try scheduler().standby(for: demand(guest, templates: templates), runningOn: host, preferred: preferred, replicas: held) {
        case .success(let chosen): return chosen
        case .failure(let f): throw FleetError(.conflict, "no standby host for guest \(guest.name): \(f.description)")
        }
    }

    /// `vfleet guest replicate NAME --sync-now`: one sync, recorded;
    /// `transport` as in ReplicaSync (serve's scheduled syncs: auto).
    public func syncReplica(_ name: String, transport: LayerTransportMode = .auto) throws(FleetError) -> ReplicaSummary {
        guard var replica = try store.replica(of: name) else {
            throw .notFound("guest \(name) has no replica (start one with `vfleet guest replicate \(name)`)")
        }
        let source = try hostOf(name)
        let standby = try store.host(replica.host)
        guard source.name != standby.name else {
            throw .conflict("guest \(name) runs on its standby host \(standby.name) (moved there?): choose another with `vfleet guest replicate \(name) --to HOST`")
        }
        return try recorder.record("guest.sync", guest: name, host: source.name, toHost: standby.name) { (note: inout EventNote) throws(FleetError) in
            // The guest's lock: no move, evacuation or failover meanwhile (Controller+SyncLock).
            let op = try beginSyncOperation(name, to: standby.name)
            note.operation = op.id
            do throws(FleetError) {
                let outcome = try ReplicaSync(transport: agents, callTimeout: settings.callTimeout, mode: transport).run(name, from: source, to: standby)
                let result = outcome.result
                try store.finishOperation(op.id!, state: .done)
                replica.point = result.point.point
                replica.takenAt = result.point.takenAt
                replica.digest = result.point.digest
                replica.totalBytes = result.point.totalBytes
                replica.fileCount = result.point.fileCount
                replica.frozenSeconds = result.point.frozenSeconds
                replica.lastSyncAt = Date().timeIntervalSince1970
                replica.lastError = nil
                try store.saveReplica(replica)
                note.detail = String(format: "point %d, %d bytes sent while running, %d frozen, frozen %.0f ms, %.2f s, ",
                                     result.point.point, result.precopyBytes, result.deltaBytes, result.point.frozenSeconds * 1000, result.seconds)
                    + outcome.transport
                var summary = ReplicaSummary(replica)
                summary.transport = outcome.transport
                return summary
            } catch {
                try? store.finishOperation(op.id!, state: .failed, error: error.message)
                replica.lastSyncAt = Date().timeIntervalSince1970
                replica.lastError = error.message
                try? store.saveReplica(replica)
                throw error
            }
        }
    }

    /// `vfleet guest replicate NAME --no-replicate`: the standby's copy goes, then the record.
    public func stopReplicating(_ name: String) throws(FleetError) {
        guard let replica = try store.replica(of: name) else { throw .notFound("guest \(name) has no replica") }
        try recorder.record("guest.unreplicate", guest: name, host: replica.host) { (_: inout EventNote) throws(FleetError) in
            _ = try agents.call(RPC.ReplicaDrop(name: name), on: try store.host(replica.host))
            try store.deleteReplica(of: name)
        }
    }

    /// The replica of `name` for `guest show`, or nil.
    public func replicaSummary(_ name: String) throws(FleetError) -> ReplicaSummary? {
        try store.replica(of: name).map { ReplicaSummary($0) }
    }

    /// Syncs every replica whose `--every` is due (vfleet serve); returns the failures.
    public func syncDueReplicas(now: Double = Date().timeIntervalSince1970) -> [String: String] {
        var failed: [String: String] = [:]
        // A guest on a failed host has no source to sync from.
        let placements = Dictionary(uniqueKeysWithValues: ((try? store.placements()) ?? []).map { ($0.guest, $0.host) })
        let states = Dictionary(((try? store.hosts()) ?? []).map { ($0.name, $0.state) }, uniquingKeysWith: { a, _ in a })
        for replica in (try? store.replicas()) ?? [] where replica.isDue(at: now) && states[placements[replica.guest] ?? ""] != .failed {
            // A standby that had to change and could not then (no host
            // fitted, a sync failed) is re-targeted instead of synced.
            if needsNewStandby(replica, placements: placements, hostStates: states) {
                let moved = retarget(replica, dropOld: states[replica.host] != .failed)
                if let error = moved.error { failed[replica.guest] = error }
                continue
            }
            do throws(FleetError) { _ = try syncReplica(replica.guest) } catch { failed[replica.guest] = error.message }
        }
        return failed
    }
}
