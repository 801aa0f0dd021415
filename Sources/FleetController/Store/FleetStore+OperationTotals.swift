import FleetProtocol
import GRDB

/// What `vfleet serve`'s metrics read of the operations journal: per kind
/// and state, how many, their total duration, and how many fall at or below
/// each of `bounds` (counted by SQLite, so a long journal is never loaded).
public struct OperationTally: Sendable, Equatable {
    public var kind: String
    public var state: StoredOperation.State
    public var count: UInt64
    /// Seconds from the row's creation to its last update, summed.
    public var seconds: Double
    /// Per bucket (not cumulative), one more slot for above the last bound.
    public var perBucket: [UInt64]
}

extension FleetStore {
    public func operationTallies(bounds: [Double]) throws(FleetError) -> [OperationTally] {
        let buckets = bounds.indices.map { i in
            let lower = i == 0 ? "" : "d > \(bounds[i - 1]) AND "
            return "SUM(CASE WHEN \(lower)d <= \(bounds[i]) THEN 1 ELSE 0 END)"
        } + ["SUM(CASE WHEN d > \(bounds.last ?? 0) THEN 1 ELSE 0 END)"]
        let sql = """
            SELECT kind, state, COUNT(*) AS n, TOTAL(d) AS seconds, \(buckets.joined(separator: ", "))
            FROM (SELECT kind, state, MAX(updatedAt - createdAt, 0) AS d FROM operations)
            GROUP BY kind, state ORDER BY kind, state
            """
        return try read { db in
            try Row.fetchAll(db, sql: sql).compactMap { row -> OperationTally? in
                guard let state = StoredOperation.State(rawValue: row[1]) else { return nil }
                let counts = (0...bounds.count).map { i -> UInt64 in UInt64(max(0, (row[4 + i] as Int64?) ?? 0)) }
                return OperationTally(kind: row[0], state: state, count: UInt64(row[2] as Int64), seconds: row[3], perBucket: counts)
            }
        }
    }
}
