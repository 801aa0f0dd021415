import FleetProtocol
import Foundation
import GRDB

/// The audit trail (table `events`, migration v5): appended to, read, and
/// pruned by age. No code updates a row; a trigger refuses it too.
extension FleetStore {
    /// Adds an event and, in the same transaction, drops the events older
    /// than `retention` seconds (0 or less keeps them all).
    @discardableResult
    public func appendEvent(_ event: StoredEvent, retention: Double) throws(FleetError) -> StoredEvent {
        try write { db in
            var e = event
            e.id = nil
            try e.insert(db)
            if retention > 0 { _ = try Self.prune(db, before: e.at - retention) }
            return e
        }
    }

    /// Drops the events written before `cutoff`; returns how many went.
    @discardableResult
    public func pruneEvents(before cutoff: Double) throws(FleetError) -> Int {
        try write { db in try Self.prune(db, before: cutoff) }
    }

    static func prune(_ db: Database, before cutoff: Double) throws -> Int {
        try db.execute(sql: "DELETE FROM events WHERE at < ?", arguments: [cutoff])
        return db.changesCount
    }

    /// The events `filter` selects, oldest first.
    public func events(_ filter: EventFilter) throws(FleetError) -> [StoredEvent] {
        try read { db in
            var q = StoredEvent.all()
            if let since = filter.since { q = q.filter(Column("at") >= since) }
            if let guest = filter.guest { q = q.filter(Column("guest") == guest) }
            if let host = filter.host { q = q.filter(Column("host") == host || Column("toHost") == host) }
            if let op = filter.operation { q = q.filter(Column("operation") == op) }
            if let after = filter.afterId { q = q.filter(Column("id") > after) }
            if let limit = filter.limit {
                return try q.order(Column("id").desc).limit(limit).fetchAll(db).reversed()
            }
            return try q.order(Column("id")).fetchAll(db)
        }
    }

    /// The id of the newest event, 0 when there is none.
    public func lastEventId() throws(FleetError) -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM events") ?? 0 }
    }

    static func migrateEvents(_ db: Database) throws {
        try db.create(table: "events") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("at", .double).notNull().indexed()
            t.column("user", .text).notNull()
            t.column("machine", .text).notNull()
            t.column("action", .text).notNull()
            t.column("command", .text)
            t.column("reason", .text)
            t.column("guest", .text).indexed()
            t.column("host", .text).indexed()
            t.column("toHost", .text).indexed()
            t.column("template", .text)
            t.column("operation", .integer).indexed()
            t.column("outcome", .text).notNull()
            t.column("error", .text)
            t.column("detail", .text)
            t.column("seconds", .double).notNull()
        }
        // The trail is never rewritten: whatever code runs against the
        // store, an UPDATE of an event fails.
        try db.execute(sql: """
            CREATE TRIGGER events_append_only BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only: an event is never changed'); END
            """)
    }
}
