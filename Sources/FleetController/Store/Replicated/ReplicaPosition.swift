import GRDB

/// Which fleet this SQLite file replicates and the last log entry it has
/// applied: one row in `vfleet_replica`, a table of this file alone (the
/// changeset recorder skips it), written in the same transaction as the
/// entries it counts, so a crash never leaves the two apart.
struct ReplicaPosition: Equatable {
    static let table = "vfleet_replica"
    let fleet: String
    let seq: Int64

    /// Nil when the file is no replica (no table or no row).
    static func read(_ db: Database) throws -> ReplicaPosition? {
        guard try db.tableExists(table) else { return nil }
        guard let row = try Row.fetchOne(db, sql: "SELECT fleet, seq FROM \(table) WHERE id = 1") else { return nil }
        return ReplicaPosition(fleet: row["fleet"], seq: row["seq"])
    }

    static func create(_ db: Database, fleet: String, seq: Int64) throws {
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS \(table) (id INTEGER PRIMARY KEY CHECK (id = 1), fleet TEXT NOT NULL, seq INTEGER NOT NULL)")
        try db.execute(sql: "INSERT OR REPLACE INTO \(table) (id, fleet, seq) VALUES (1, ?, ?)", arguments: [fleet, seq])
    }

    static func advance(_ db: Database, to seq: Int64) throws {
        try db.execute(sql: "UPDATE \(table) SET seq = ? WHERE id = 1", arguments: [seq])
    }

    static func drop(_ db: Database) throws {
        try db.execute(sql: "DROP TABLE IF EXISTS \(table)")
    }
}
