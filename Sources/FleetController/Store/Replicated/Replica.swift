import FleetEtcd
import FleetProtocol
import Foundation
import GRDB

/// This controller's SQLite file as a replica of the fleet's log in etcd
/// (docs/ARCHITECTURE.md, the replicated store). A write runs its body in
/// a local transaction on a replica caught up to the log's head, records
/// its changeset, and commits locally only once etcd took the changeset as
/// the next entry; a read first applies every entry up to the head seen
/// when it starts (read-your-writes, also across controllers).
final class Replica: Sendable {
    let path: String
    let pool: DatabasePool
    let log: ReplicaLog
    let settings: ReplicationSettings
    let fleet: String
    let notices = StoreNotices()
    /// This process's lease as an operation owner (granted on first use).
    let ownerLease: OwnerLease
    /// Whether this process's `vfleet serve` leads the fleet's serves.
    let leadership: ServeLeadership

    /// This vfleet's schema migrations, run where the log says (LogEntry).
    let migrator: DatabaseMigrator

    init(path: String, pool: DatabasePool, log: ReplicaLog, settings: ReplicationSettings, fleet: String, migrator: DatabaseMigrator) {
        self.path = path
        self.pool = pool
        self.log = log
        self.settings = settings
        self.fleet = fleet
        self.migrator = migrator
        ownerLease = OwnerLease(client: log.client, prefix: settings.prefix, ttl: settings.leaseTTL)
        leadership = ServeLeadership(client: log.client, prefix: settings.prefix, ttl: settings.leaseTTL)
    }

    /// What one attempt of a write came to.
    private enum Attempt<T> {
        case done(T, committed: Int64?)
        /// Another writer's entry came first: run the body again on it.
        case again
    }

    // MARK: writes

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        var lastHead: Int64 = 0
        for attempt in 0..<settings.maxAttempts {
            // After a lost race, a random wait that grows (up to 64 ms): a
            // writer that must first apply the winner's entry would
            // otherwise lose every time to one that writes in a tight loop.
            if attempt > 0 { usleep(UInt32.random(in: 0...(1000 << UInt32(min(attempt, 6))))) }
            let head = try etcd("write") { () throws(EtcdError) in try log.head() }
            try apply(upTo: head)
            lastHead = head.seq
            var attempt: Attempt<T> = .again
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    guard let position = try ReplicaPosition.read(db) else { throw ReplicaFailure.local("\(ReplicaPosition.table) is gone") }
                    // Another process on this replica may have applied more
                    // (or the head moved on): build on what etcd says now.
                    var base = head
                    if position.seq != head.seq {
                        base = try etcd("write") { () throws(EtcdError) in try log.head() }
                        guard base.seq == position.seq else { return .rollback }
                    }
                    let recorder = try ChangesetRecorder(db)
                    let value = try body(db)
                    let changes = try recorder.changeset()
                    recorder.end()
                    if changes.isEmpty {
                        attempt = .done(value, committed: nil)
                        return .commit
                    }
                    let entry = LogEntry(changeset: changes)
                    guard entry.encoded.count <= ReplicaLog.chunkBytes else {
                        throw FleetError.failed("a write to the replicated store changes \(changes.count) bytes, more than one etcd request may carry (\(ReplicaLog.chunkBytes)): nothing was changed; split it into smaller writes")
                    }
                    switch try etcd("write", { () throws(EtcdError) in try log.append(entry, after: base) }) {
                    case .committed:
                        try ReplicaPosition.advance(db, to: base.seq + 1)
                        attempt = .done(value, committed: base.seq + 1)
                        return .commit
                    case .lost:
                        return .rollback
                    }
                }
            }
            if case .done(let value, let committed) = attempt {
                if let committed, committed % Int64(settings.snapshotEvery) == 0 { snapshotAfterWrite(committed) }
                return value
            }
        }
        throw FleetError.conflict("a write to the replicated store lost the race to other controllers' writes \(settings.maxAttempts) times in a row (log head \(lastHead)): nothing was changed; try again")
    }

    // MARK: reads

    /// Brings the replica up to the log's head before a read; when etcd
    /// cannot be asked, the read answers from the replica as it is and the
    /// store says so (notices).
    func refreshForRead() throws {
        if notices.skipsEtcd { return }
        let head: LogHead
        do { head = try log.head() } catch {
            let reason = "etcd cannot be asked for the log's head (\(error.message)); answering from this controller's replica \(path) as of its last applied entry: the answer may be stale"
            notices.markStale(reason)
            notices.tell("warning: \(reason)")
            return
        }
        notices.markFresh()
        try apply(upTo: head)
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try refreshForRead()
        return try pool.read(body)
    }

    // MARK: applying the log

    /// The entry number this replica has applied.
    func appliedSeq() throws -> Int64 {
        try pool.read { db in try ReplicaPosition.read(db)?.seq } ?? 0
    }

    /// Applies the log's entries up to `head`, in order, each batch in one
    /// transaction with its position; from the newest snapshot first when
    /// the entries it needs were compacted away.
    func apply(upTo head: LogHead) throws {
        var seq = try appliedSeq()
        var restores = 0
        while seq < head.seq {
            let entries = try etcd("read") { () throws(EtcdError) in try log.entries(after: seq, through: head.seq) }
            guard let first = entries.first, first.seq == seq + 1 else {
                guard restores < 3 else {
                    throw FleetError.failed("replica \(path) is at entry \(seq), the log in etcd holds no entry \(seq + 1) and no snapshot past it after 3 tries: \(Self.rebuild(path))")
                }
                restores += 1
                try restoreSnapshot(after: seq)
                seq = try appliedSeq()
                continue
            }
            try pool.writeWithoutTransaction { db in
                // The entry holds every row its writer changed, cascades
                // included: the replica must not cascade again.
                try db.execute(sql: "PRAGMA foreign_keys = OFF")
                defer { try? db.execute(sql: "PRAGMA foreign_keys = ON") }
                try db.inTransaction(.immediate) {
                    guard var at = try ReplicaPosition.read(db)?.seq else { throw ReplicaFailure.local("\(ReplicaPosition.table) is gone") }
                    for entry in entries where entry.seq == at + 1 {
                        let decoded = try LogEntry(decoding: entry.value, seq: entry.seq)
                        // A migration runs outside this transaction (below).
                        if decoded.migrationTarget != nil { break }
                        try ChangesetApplier.apply(decoded.changeset, seq: entry.seq, to: db)
                        at = entry.seq
                    }
                    try ReplicaPosition.advance(db, to: at)
                    return .commit
                }
            }
            seq = try appliedSeq()
            if let next = entries.first(where: { $0.seq == seq + 1 }),
               let target = try LogEntry(decoding: next.value, seq: next.seq).migrationTarget {
                try migrate(to: target, at: next.seq)
                seq = try appliedSeq()
            }
        }
    }

    /// Runs this vfleet's migrations up to `target` (log entry `seq`), then
    /// records the entry applied. A migration already run is not run again,
    /// so dying between the two costs nothing: the next apply finishes it.
    func migrate(to target: String, at seq: Int64) throws {
        guard migrator.migrations.contains(target) else {
            throw FleetError.conflict("the fleet's store schema was upgraded to \"\(target)\" by a newer vfleet (log entry \(seq)), which this vfleet does not know: upgrade vfleet on this controller machine; replica \(path) stays at entry \(seq - 1)")
        }
        try migrator.migrate(pool, upTo: target)
        try pool.write { db in try ReplicaPosition.advance(db, to: seq) }
    }

    /// This vfleet's migrations the replica has not run (after applying the log).
    func missingMigrations() throws -> [String] {
        let applied = try pool.read { db in try migrator.appliedIdentifiers(db) }
        return migrator.migrations.filter { !applied.contains($0) }
    }

    /// `vfleet db upgrade`: appends one migration entry to the log, for every
    /// migration this vfleet has and the fleet's schema lacks, and runs it
    /// here; every other replica runs it when it reaches the entry. Returns
    /// the migrations run (none when the schema is up to date).
    func upgradeSchema() throws -> [String] {
        for _ in 0..<settings.maxAttempts {
            let head = try etcd("schema upgrade") { () throws(EtcdError) in try log.head() }
            try apply(upTo: head)
            let missing = try missingMigrations()
            guard let target = migrator.migrations.last, !missing.isEmpty else { return [] }
            let entry = LogEntry(migrationTo: target)
            switch try etcd("schema upgrade", { () throws(EtcdError) in try log.append(entry, after: head) }) {
            case .committed:
                try migrate(to: target, at: head.seq + 1)
                return missing
            case .lost:
                continue
            }
        }
        throw FleetError.conflict("the schema upgrade lost the race to other controllers' writes \(settings.maxAttempts) times in a row: nothing was changed; try again")
    }

    // MARK: errors

    /// Runs an etcd call, naming what could not be done and why in an
    /// operator's terms.
    func etcd<T>(_ what: String, _ call: () throws(EtcdError) -> T) throws(FleetError) -> T {
        do { return try call() } catch {
            switch error.kind {
            case .outcomeUnknown:
                throw FleetError(.unreachable, "the \(what) to the replicated store has an unknown outcome: \(error.message). This controller's replica \(path) was left as it was; the next vfleet command applies the entry if etcd committed it: check with `vfleet` before doing it again")
            case .unreachable, .rejected:
                let verb = what == "write" ? "cannot write to the replicated store: nothing was changed" : "cannot \(what) the replicated store's log"
                throw FleetError(.unreachable, "\(verb): \(error.message). etcd commits only while a majority of its members (its quorum: 2 of 3, 3 of 5) are up and reach each other: bring the members back (etcdctl endpoint health); reads still answer from this controller's replica, possibly stale")
            default:
                throw error.fleetError
            }
        }
    }

    static func rebuild(_ path: String) -> String {
        "stop the vfleet commands and vfleet serve that use it, move \(path) (and its -wal and -shm files) away, and run any vfleet command: the replica is rebuilt from etcd's snapshot and log"
    }

    /// An error of the replica's SQLite side as the operator reads it.
    func describe(_ failure: ReplicaFailure) -> FleetError {
        switch failure {
        case .local(let message): FleetError.failed("replica \(path): \(message)")
        case .diverged(let seq, let detail):
            FleetError.failed("replica \(path) cannot apply log entry \(seq): \(detail): it no longer holds what the fleet's log says and has diverged; nothing of the entry was applied. To rebuild it: \(Self.rebuild(path))")
        }
    }
}
