import FleetProtocol
import Foundation
import GRDB

/// What one copy step of an operation sent (table `operation_transfers`,
/// migration v6): the template, the pre-copy or the delta, how (direct or
/// relay) and how many bytes of file data. A row is written when the copy
/// begins and updated while it runs, so `ops show` of a running move says
/// how far it is; `ended` is set once its count is final.
public struct StoredTransfer: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "operation_transfers"

    public var id: Int64?
    public var operation: Int64
    /// The move's step: template, precopy, delta.
    public var step: String
    /// "direct" or "relay" (nil until the copy knows, e.g. `auto` still trying direct).
    public var transport: String?
    /// Bytes of file data sent so far (final once `ended`).
    public var bytes: Int64
    /// The step's size when known before it ends (a whole layer's).
    public var totalBytes: Int64?
    public var ended: Bool
    public var startedAt: Double
    public var updatedAt: Double

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// The transport's word for a metric label and a column: the copies'
    /// longer notes ("relay (direct failed: …)", "direct from host1")
    /// reduced to direct or relay.
    public static func transportKind(_ how: String) -> String {
        how.hasPrefix("direct") ? "direct" : "relay"
    }
}

extension FleetStore {
    static func migrateMoveBytes(_ db: Database) throws {
        try db.create(table: "operation_transfers") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("operation", .integer).notNull().indexed().references("operations", onDelete: .cascade)
            t.column("step", .text).notNull()
            t.column("transport", .text)
            t.column("bytes", .integer).notNull().defaults(to: 0)
            t.column("totalBytes", .integer)
            t.column("ended", .boolean).notNull().defaults(to: false)
            t.column("startedAt", .double).notNull()
            t.column("updatedAt", .double).notNull()
        }
    }

    /// A copy step begins: its row, with nothing sent yet.
    public func beginTransfer(operation: Int64, step: String) throws(FleetError) -> Int64 {
        let now = Date().timeIntervalSince1970
        return try write { db in
            var row = StoredTransfer(operation: operation, step: step, transport: nil, bytes: 0, totalBytes: nil, ended: false, startedAt: now, updatedAt: now)
            try row.insert(db)
            return row.id!
        }
    }

    /// Bytes sent so far (or, with `ended`, in all); nil fields stay as they were.
    public func noteTransfer(_ id: Int64, bytes: UInt64, totalBytes: UInt64?, transport: String?, ended: Bool) throws(FleetError) {
        let now = Date().timeIntervalSince1970
        try write { db in
            try db.execute(sql: """
                UPDATE operation_transfers SET bytes = ?, totalBytes = COALESCE(?, totalBytes), transport = COALESCE(?, transport),
                ended = ?, updatedAt = ? WHERE id = ?
                """, arguments: [Int64(clamping: bytes), totalBytes.map { Int64(clamping: $0) }, transport, ended, now, id])
        }
    }

    public func transfers(of operation: Int64) throws(FleetError) -> [StoredTransfer] {
        try read { db in try StoredTransfer.filter(Column("operation") == operation).order(Column("id")).fetchAll(db) }
    }

    /// Bytes of ended copies per transport, for `vfleet_moved_bytes_total`:
    /// only ended rows, so the sum never goes down when a running copy's
    /// count is replaced by its final one.
    public func movedBytesByTransport() throws(FleetError) -> [String: UInt64] {
        try read { db in
            var out: [String: UInt64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT transport, TOTAL(bytes) FROM operation_transfers WHERE ended AND transport IS NOT NULL GROUP BY transport") {
                out[row[0] as String] = UInt64(max(0, row[1] as Double))
            }
            return out
        }
    }
}
