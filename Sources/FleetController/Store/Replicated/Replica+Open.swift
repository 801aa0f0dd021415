import FleetEtcd
import FleetProtocol
import Foundation
import GRDB

/// Opening a replica: the file at `path` must be this fleet's replica, or
/// absent or empty (then it is built from the newest snapshot); then it
/// catches up to the log's head.
extension Replica {
    static func open(path: String, settings: ReplicationSettings, configuration: Configuration, migrator: DatabaseMigrator) throws -> Replica {
        let client: EtcdClient
        do { client = try EtcdClient(settings: settings.etcd) } catch { throw FleetError.invalid("VFLEET_STORE=replicated: \(error.message)") }
        let log = ReplicaLog(client: client, prefix: settings.prefix)
        let pool = try DatabasePool(path: path, configuration: configuration)
        let local = try pool.read(ReplicaPosition.read)
        let fleet: String
        var staleReason: String?
        do {
            guard let known = try log.fleet() else {
                throw FleetError.notFound("etcd at \(settings.etcd.endpoints.map(String.init(describing:)).joined(separator: ",")) holds no vfleet fleet under \(settings.prefix): load one with `vfleet db migrate --to replicated` (from the standalone store, or from a new one to start an empty fleet)")
            }
            fleet = known
        } catch let error as EtcdError {
            // Without etcd a replica that exists still answers reads (stale);
            // one that does not cannot be built.
            guard let local else {
                throw FleetError(.unreachable, "cannot build the replica \(path): \(error.message)")
            }
            fleet = local.fleet
            staleReason = error.message
        }
        if let local, local.fleet != fleet {
            throw FleetError.conflict("\(path) is a replica of fleet \(local.fleet), but etcd holds fleet \(fleet) under \(settings.prefix): point VFLEET_ETCD_ENDPOINTS/VFLEET_STORE_PREFIX at its fleet, or move the file away to build this fleet's replica there")
        }
        let replica = Replica(path: path, pool: pool, log: log, settings: settings, fleet: fleet, migrator: migrator)
        do {
            try replica.prepare(fresh: local == nil, staleReason: staleReason, migrator: migrator)
        } catch let failure as ReplicaFailure {
            throw replica.describe(failure)
        }
        return replica
    }

    /// Builds a fresh replica from the newest snapshot, checks the schema,
    /// and catches up (or notes why it cannot).
    private func prepare(fresh: Bool, staleReason: String?, migrator: DatabaseMigrator) throws {
        if fresh {
            let tables = try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") ?? 0 }
            guard tables == 0 else {
                throw FleetError.conflict("\(path) is a standalone store, not a replica of fleet \(fleet): load it into etcd with `vfleet db migrate --to replicated` (while etcd holds no fleet), or choose another --db for this controller's replica")
            }
            try restoreSnapshot(after: -1)
        }
        try Self.refuseNewerSchema(of: pool, migrator: migrator, path: path)
        if let staleReason {
            let reason = "etcd cannot be asked for the log's head (\(staleReason)); answering from this controller's replica \(path) as of its last applied entry: the answer may be stale"
            notices.markStale(reason)
            notices.tell("warning: \(reason)")
        } else {
            try refreshForRead()
        }
    }

    /// A replica is not migrated on its own: its schema comes from the
    /// snapshot and the log's migration entries, and every replica must
    /// hold the same one for the same changesets to apply.
    private static func refuseNewerSchema(of pool: DatabasePool, migrator: DatabaseMigrator, path: String) throws {
        if try pool.read(migrator.hasBeenSuperseded) {
            throw FleetError.conflict("replica \(path) holds a store schema newer than this vfleet knows (another controller runs a newer vfleet): upgrade vfleet here")
        }
    }

    /// Why this vfleet cannot work on the fleet yet: its schema lacks
    /// migrations this vfleet has (nil: it does not).
    func olderSchemaRefusal() throws -> String? {
        let missing = try missingMigrations()
        guard !missing.isEmpty else { return nil }
        return "the fleet's store schema lacks migrations this vfleet has (\(missing.joined(separator: "; "))): once vfleet is upgraded on every controller machine, run `vfleet db upgrade` on one of them (the others follow as they read the log); until then this vfleet refuses the fleet, and older ones keep working"
    }
}
