import FleetProtocol
import Foundation
import GRDB

/// The controller's desired state: one SQLite file (WAL), schema by GRDB
/// migrations that are never edited once shipped — a change is a new
/// migration. The only code that touches SQLite.
public final class FleetStore: Sendable {
    public let path: String
    let pool: any DatabaseWriter
    /// In replicated mode: the log in etcd this file replicates.
    let replica: Replica?

    public static let defaultPath = "/var/lib/vfleet-controller/fleet.db"

    /// --db, else VFLEET_DB, else the default.
    public static func resolvePath(_ option: String?) -> String {
        if let option, !option.isEmpty { return option }
        if let env = ProcessInfo.processInfo.environment["VFLEET_DB"], !env.isEmpty { return env }
        return defaultPath
    }

    /// Opens (and creates or migrates) the store at `path`; in replicated
    /// mode (`mode`, else VFLEET_STORE) the file is this controller's
    /// replica of the fleet in etcd (Replicated/).
    ///
    /// A replicated fleet whose schema lacks migrations this vfleet has is
    /// refused (`vfleet db upgrade` runs them) unless `allowingOlderSchema`.
    public init(path: String, mode: StoreMode? = nil, allowingOlderSchema: Bool = false) throws(FleetError) {
        self.path = path
        let dir = (path as NSString).deletingLastPathComponent
        let mode = if let mode { mode } else { try StoreMode.fromEnvironment() }
        do {
            try FileManager.default.createDirectory(atPath: dir.isEmpty ? "." : dir, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            var config = Configuration()
            config.busyMode = .timeout(15)
            config.foreignKeysEnabled = true
            if case .replicated(let settings) = mode {
                let replica = try Replica.open(path: path, settings: settings, configuration: config, migrator: Self.migrator)
                if !allowingOlderSchema, let refusal = try replica.olderSchemaRefusal() { throw FleetError.conflict(refusal) }
                (pool, self.replica) = (replica.pool, replica)
                return
            }
            pool = try DatabasePool(path: path, configuration: config)
            replica = nil
            try Self.migrator.migrate(pool)
            try Self.refuseReplica(pool, path: path)
        } catch let error as FleetError {
            throw error
        } catch {
            throw .failed("cannot open the controller store \(path): \(error) (check --db / VFLEET_DB and the directory's permissions)")
        }
    }

    /// An in-memory store for tests.
    public init(inMemory: Void = ()) throws(FleetError) {
        path = ":memory:"
        replica = nil
        do {
            var config = Configuration()
            config.foreignKeysEnabled = true
            pool = try DatabaseQueue(configuration: config)
            try Self.migrator.migrate(pool)
        } catch {
            throw .failed("cannot create an in-memory store: \(error)")
        }
    }

    /// Directory for the controller's own files (template archives, keys):
    /// next to the database.
    public var dataDirectory: String {
        path == ":memory:" ? NSTemporaryDirectory() : (path as NSString).deletingLastPathComponent
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: hosts, templates, guests, placements, operations, settings") { db in
            try db.create(table: "hosts") { t in
                t.primaryKey("name", .text)
                t.column("address", .text).notNull()
                t.column("port", .integer).notNull()
                t.column("user", .text).notNull()
                t.column("identityFile", .text).notNull()
                t.column("labels", .jsonText).notNull()
                t.column("reservedMemoryBytes", .integer).notNull()
                t.column("cordoned", .boolean).notNull()
                t.column("state", .text).notNull()
                t.column("facts", .jsonText)
                t.column("hostKeyFingerprint", .text).notNull()
                t.column("addedAt", .double).notNull()
                t.column("lastSeenAt", .double)
            }
            try db.create(table: "templates") { t in
                t.primaryKey("name", .text)
                t.column("digest", .text).notNull()
                t.column("fileCount", .integer).notNull()
                t.column("totalBytes", .integer).notNull()
                t.column("archivePath", .text).notNull()
                t.column("archiveBytes", .integer).notNull()
                t.column("addedAt", .double).notNull()
            }
            try db.create(table: "guests") { t in
                t.primaryKey("name", .text)
                t.column("template", .text).notNull().references("templates", column: "name", onDelete: .restrict)
                t.column("spec", .jsonText).notNull()
                t.column("memoryBytes", .integer).notNull()
                t.column("cpuMillis", .integer).notNull()
                t.column("diskBytes", .integer).notNull()
                t.column("groupName", .text)
                t.column("requires", .jsonText).notNull()
                t.column("desiredState", .text).notNull()
                t.column("origin", .text)
                t.column("createdAt", .double).notNull()
            }
            try db.create(table: "placements") { t in
                t.primaryKey("guest", .text).references("guests", column: "name", onDelete: .cascade)
                t.column("host", .text).notNull().references("hosts", column: "name", onDelete: .restrict).indexed()
                t.column("placedAt", .double).notNull()
            }
            try db.create(table: "operations") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("kind", .text).notNull()
                t.column("guest", .text).indexed()
                t.column("host", .text)
                t.column("params", .text).notNull()
                t.column("state", .text).notNull().indexed()
                t.column("step", .text).notNull()
                t.column("error", .text)
                t.column("owner", .text).notNull()
                t.column("createdAt", .double).notNull()
                t.column("updatedAt", .double).notNull()
            }
            try db.create(table: "operation_steps") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("operation", .integer).notNull().references("operations", onDelete: .cascade).indexed()
                t.column("step", .text).notNull()
                t.column("state", .text).notNull()
                t.column("detail", .text)
                t.column("at", .double).notNull()
            }
            try db.create(table: "settings") { t in
                t.primaryKey("key", .text)
                t.column("value", .text).notNull()
            }
        }
        m.registerMigration("v2: one operation in flight per guest") { db in
            // A second controller that tries to start an operation on a guest
            // with one in flight fails on this index, atomically.
            try db.execute(sql: "CREATE UNIQUE INDEX operations_one_in_flight ON operations(guest) WHERE state = 'running' AND guest IS NOT NULL")
        }
        m.registerMigration("v3: address pools and addresses") { db in
            try db.create(table: "address_pools") { t in
                t.primaryKey("name", .text)
                t.column("cidr", .text).notNull()
                t.column("hosts", .jsonText).notNull()
                t.column("gateway", .text)
                t.column("createdAt", .double).notNull()
            }
            // The primary key is the fleet-wide "never given twice"; the
            // cascade releases a guest's addresses with the guest's row.
            try db.create(table: "addresses") { t in
                t.primaryKey("address", .text)
                t.column("guest", .text).notNull().references("guests", column: "name", onDelete: .cascade).indexed()
                t.column("pool", .text).references("address_pools", column: "name", onDelete: .restrict).indexed()
                t.column("allocatedAt", .double).notNull()
            }
        }
        m.registerMigration("v4: an operation's reason, and rollbacks left pending") { db in
            // Why an operation was rolled back (or is being): the failure
            // that decided it, shown by `ops list` and `ops show`.
            try db.alter(table: "operations") { t in t.add(column: "reason", .text) }
            // A rollback that could not reach a host is still in flight: no
            // other operation may start on its guest until `ops resume`.
            try db.execute(sql: "DROP INDEX operations_one_in_flight")
            try db.execute(sql: "CREATE UNIQUE INDEX operations_one_in_flight ON operations(guest) WHERE state IN ('running', 'rollback_pending') AND guest IS NOT NULL")
        }
        m.registerMigration("v5: events, the audit trail") { db in try migrateEvents(db) }
        m.registerMigration("v6: bytes a move sent") { db in try migrateMoveBytes(db) }
        m.registerMigration("v7: guest replicas") { db in try migrateReplicas(db) }
        m.registerMigration("v8: fencing tokens") { db in try StoredOperation.migrateFence(db) }
        return m
    }

    // MARK: access

    func read<T>(_ body: (Database) throws -> T) throws(FleetError) -> T {
        do { return try readTransaction(body) } catch let e as FleetError { throw e } catch {
            throw .failed("controller store \(path): \(error)")
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws(FleetError) -> T {
        do { return try writeTransaction(body) } catch let e as FleetError { throw e } catch {
            throw .failed("controller store \(path): \(error)")
        }
    }

    /// A consistent copy while the store is in use (SQLite's online backup).
    /// In replicated mode: of the replica caught up to the log's head, as a
    /// standalone store (`--db FILE` runs a fleet from it).
    public func backup(to destination: String) throws(FleetError) {
        if FileManager.default.fileExists(atPath: destination) {
            throw .conflict("cannot back up to \(destination): it exists (choose a new file)")
        }
        if replica != nil { try read { _ in } }
        do {
            let target = try DatabaseQueue(path: destination)
            try pool.backup(to: target)
            if replica != nil { try target.write(ReplicaPosition.drop) }
        } catch {
            try? FileManager.default.removeItem(atPath: destination)
            throw .failed("cannot back up the store to \(destination): \(error)")
        }
    }
}
