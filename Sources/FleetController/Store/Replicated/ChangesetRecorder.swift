import CFleetSQLiteSession
import Foundation
import GRDB

/// SQLite's session extension on one connection for one write: it records
/// every row the transaction's body changes (tables with a primary key,
/// which every store table has) and hands back the net effect as a
/// changeset, the bytes the replicated store appends to its log.
final class ChangesetRecorder {
    private var session: UnsafeMutableRawPointer?

    init(_ db: Database) throws {
        guard let connection = db.sqliteConnection else { throw ReplicaFailure.local("the store's connection is closed") }
        let rc = fleet_session_begin(UnsafeMutableRawPointer(connection), &session)
        guard rc == 0, session != nil else {
            throw ReplicaFailure.local("cannot record the write's changes (SQLite session, code \(rc)): is libsqlite3 built with SQLITE_ENABLE_SESSION?")
        }
    }

    /// The changes so far, as one changeset (empty when nothing changed).
    func changeset() throws -> Data {
        guard let session else { return Data() }
        var count: Int32 = 0
        var bytes: UnsafeMutableRawPointer?
        let rc = fleet_session_changeset(session, &count, &bytes)
        defer { fleet_sqlite_free(bytes) }
        guard rc == 0 else { throw ReplicaFailure.local("cannot take the write's changeset (SQLite code \(rc))") }
        guard let bytes, count > 0 else { return Data() }
        return Data(bytes: bytes, count: Int(count))
    }

    /// Stops recording (before the transaction commits or rolls back).
    func end() {
        if let session { fleet_session_end(session) }
        session = nil
    }

    deinit { end() }
}
