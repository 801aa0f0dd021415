import FleetProtocol
import Foundation
import GRDB

/// Where a transaction goes: the local file (standalone), or through the
/// fleet's log in etcd (replicated: Replicated/Replica.swift).
extension FleetStore {
    /// A write transaction; errors are passed through as thrown (callers
    /// that retry on a SQLite constraint see GRDB's errors).
    func writeTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        guard let replica else { return try pool.write(body) }
        do { return try replica.write(body) } catch let failure as ReplicaFailure { throw replica.describe(failure) }
    }

    func readTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        guard let replica else { return try pool.read(body) }
        do { return try replica.read(body) } catch let failure as ReplicaFailure { throw replica.describe(failure) }
    }

    /// standalone or replicated.
    public var mode: String { replica == nil ? "standalone" : "replicated" }

    /// In replicated mode, why reads may be stale now (etcd could not be
    /// asked), else nil.
    public var staleReason: String? { replica?.notices.staleReason }

    /// Where the store's warnings go (reads that may be stale, a snapshot
    /// not stored); those from before are delivered at once.
    public func onWarning(_ handler: @escaping @Sendable (String) -> Void) {
        replica?.notices.setHandler(handler)
    }

    /// In replicated mode: the last log entry this replica applied.
    public func appliedLogEntry() throws(FleetError) -> Int64? {
        guard let replica else { return nil }
        do { return try replica.appliedSeq() } catch { throw .failed("replica \(path): \(error)") }
    }

    /// Stores a snapshot of this replica in etcd now (and drops the log
    /// entries it covers); the entry it is of.
    public func storeSnapshot() throws(FleetError) -> Int64 {
        guard let replica else { throw .conflict("the store \(path) is standalone: there is no log to snapshot") }
        do { return try replica.takeSnapshot() } catch let e as FleetError { throw e } catch let f as ReplicaFailure { throw replica.describe(f) } catch {
            throw .failed("replica \(path): cannot store a snapshot: \(error)")
        }
    }

    /// A standalone file that was loaded into etcd is a replica now:
    /// writing it alone would fork the fleet.
    static func refuseReplica(_ pool: any DatabaseWriter, path: String) throws {
        guard let position = try pool.read(ReplicaPosition.read) else { return }
        throw FleetError.conflict("\(path) is this controller's replica of fleet \(position.fleet) (loaded into etcd): run vfleet with VFLEET_STORE=replicated and VFLEET_ETCD_ENDPOINTS, or write a standalone copy with `vfleet db backup FILE` (in replicated mode) and use --db FILE")
    }

    /// Loads this standalone store into etcd as a new fleet (refused when
    /// etcd holds one already); the file becomes this controller's replica.
    public func loadIntoEtcd(_ settings: ReplicationSettings) throws(FleetError) -> ReplicatedFleetLoad {
        guard replica == nil else { throw .conflict("the store \(path) is replicated already (VFLEET_STORE=replicated): nothing to load") }
        do {
            let loaded = try ReplicaBootstrap.load(pool: pool, path: path, settings: settings)
            return ReplicatedFleetLoad(fleet: loaded.fleet, prefix: settings.prefix, snapshotBytes: loaded.snapshotBytes, database: path)
        } catch let e as FleetError { throw e } catch {
            throw .failed("cannot load \(path) into etcd: \(error)")
        }
    }
}

extension FleetStore {
    /// `vfleet serve`'s turn to lead: true for a standalone store (it is
    /// alone); in a replicated one, whether this process holds the leader
    /// key, and if not who does (or why etcd could not say).
    public func campaignForLeadership() -> (leads: Bool, leader: String) {
        guard let replica else { return (true, Self.owner) }
        switch replica.leadership.campaign(as: Self.owner) {
        case .leading: return (true, Self.owner)
        case .following(let other): return (false, other)
        case .unknown(let why): return (false, "unknown (etcd: \(why))")
        }
    }

    /// Gives up leading at once (serve stopping), so another serve leads
    /// without waiting out the lease. (Its owner lease stays until the
    /// process ends: a run of its own may still be finishing.)
    public func resignLeadership() {
        replica?.leadership.resign()
    }
}

extension FleetStore {
    /// `vfleet db upgrade`: in a replicated fleet, runs the migrations this
    /// vfleet has and the fleet's schema lacks, as one entry of the log that
    /// every replica runs in turn; the migrations run (none: up to date).
    /// A standalone store migrated itself when it was opened.
    public func upgradeSchema() throws(FleetError) -> [String] {
        guard let replica else { return [] }
        do { return try replica.upgradeSchema() } catch let e as FleetError { throw e } catch let failure as ReplicaFailure {
            throw replica.describe(failure)
        } catch {
            throw .failed("cannot upgrade the schema of the fleet's store: \(error)")
        }
    }
}
