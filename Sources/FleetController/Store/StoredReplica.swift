import FleetProtocol
import GRDB

/// A guest's replica (table `guest_replicas`, migration v7): which host is
/// its standby, how often it syncs, and its last complete point there as
/// the last sync reported it.
public struct StoredReplica: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "guest_replicas"

    public var guest: String
    /// The standby host.
    public var host: String
    /// Seconds between syncs (`--every`); nil: only `--sync-now`.
    public var everySeconds: Double?
    /// The last complete point: its number at the standby, when the guest
    /// was frozen for it, its digest, size and files, how long the guest
    /// stayed frozen. nil until the first sync completes.
    public var point: Int?
    public var takenAt: Double?
    public var digest: String?
    public var totalBytes: UInt64?
    public var fileCount: Int?
    public var frozenSeconds: Double?
    /// When the last sync ended (done or failed), and its error if it failed.
    public var lastSyncAt: Double?
    public var lastError: String?
    public var createdAt: Double

    public init(guest: String, host: String, everySeconds: Double?, createdAt: Double) {
        self.guest = guest
        self.host = host
        self.everySeconds = everySeconds
        self.createdAt = createdAt
    }

    /// Whether a periodic sync is due at `now`.
    public func isDue(at now: Double) -> Bool {
        guard let every = everySeconds else { return false }
        guard let last = lastSyncAt else { return true }
        return now - last >= every
    }
}

extension FleetStore {
    static func migrateReplicas(_ db: Database) throws {
        try db.create(table: "guest_replicas") { t in
            t.primaryKey("guest", .text).references("guests", column: "name", onDelete: .cascade)
            t.column("host", .text).notNull().indexed().references("hosts", column: "name", onDelete: .restrict)
            t.column("everySeconds", .double)
            t.column("point", .integer)
            t.column("takenAt", .double)
            t.column("digest", .text)
            t.column("totalBytes", .integer)
            t.column("fileCount", .integer)
            t.column("frozenSeconds", .double)
            t.column("lastSyncAt", .double)
            t.column("lastError", .text)
            t.column("createdAt", .double).notNull()
        }
    }

    public func replica(of guest: String) throws(FleetError) -> StoredReplica? {
        try read { db in try StoredReplica.fetchOne(db, key: guest) }
    }

    public func replicas() throws(FleetError) -> [StoredReplica] {
        try read { db in try StoredReplica.order(Column("guest")).fetchAll(db) }
    }

    public func saveReplica(_ replica: StoredReplica) throws(FleetError) {
        try write { db in try replica.save(db) }
    }

    public func deleteReplica(of guest: String) throws(FleetError) {
        try write { db in _ = try StoredReplica.deleteOne(db, key: guest) }
    }
}
