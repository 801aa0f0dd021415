import CFleetSQLiteSession
import Foundation
import GRDB

/// Applies a log entry's changeset to a replica, all or nothing: any
/// conflict (a row missing, different, or already there) means this
/// replica no longer holds what the writer held, so it stops instead of
/// half-applying.
enum ChangesetApplier {
    static func apply(_ changeset: Data, seq: Int64, to db: Database) throws {
        guard let connection = db.sqliteConnection else { throw ReplicaFailure.local("the store's connection is closed") }
        var conflict = fleet_apply_conflict()
        let rc = changeset.withUnsafeBytes { bytes in
            fleet_changeset_apply(UnsafeMutableRawPointer(connection), Int32(bytes.count), bytes.baseAddress, &conflict)
        }
        guard rc != 0 || conflict.conflict != 0 else { return }
        let table = withUnsafeBytes(of: conflict.table) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        let what = conflict.conflict == 0
            ? "SQLite code \(rc): \(db.lastErrorMessage ?? "no message")"
            : "\(describe(conflict: conflict.conflict)) in table \(table) (\(describe(operation: conflict.operation)))"
        throw ReplicaFailure.diverged(seq: seq, detail: what)
    }

    private static func describe(conflict: Int32) -> String {
        switch conflict {
        case 1: "a row holds other values than the writer's"  // SQLITE_CHANGESET_DATA
        case 2: "a row the writer changed is missing"  // NOTFOUND
        case 3: "a row the writer inserted exists already"  // CONFLICT
        case 4: "a constraint fails"  // CONSTRAINT
        case 5: "a foreign key fails"  // FOREIGN_KEY
        default: "conflict \(conflict)"
        }
    }

    private static func describe(operation: Int32) -> String {
        switch operation {
        case 18: "insert"
        case 23: "update"
        case 9: "delete"
        default: "operation \(operation)"
        }
    }
}
