import GRDB

/// The journal (tables `operations` and `operation_steps`): one row per
/// operation, one per step, each written before the step is taken, so that
/// an interrupted operation can be resumed or rolled back.
public struct StoredOperation: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "operations"

    public enum State: String, Codable, Sendable {
        case running, done, failed, rolledBack = "rolled_back"
        /// The move failed and is being undone, but a host could not be
        /// reached: `ops resume` finishes the rollback.
        case rollbackPending = "rollback_pending"

        /// Whether the operation still holds its guest (running or
        /// rollback_pending): `ops resume` has work left.
        public var inFlight: Bool { self == .running || self == .rollbackPending }
        static let inFlightStates = [running.rawValue, rollbackPending.rawValue]
    }

    public var id: Int64?
    public var kind: String
    public var guest: String?
    public var host: String?
    /// JSON of the operation's parameters.
    public var params: String
    public var state: State
    /// The last step begun.
    public var step: String
    public var error: String?
    /// Why the operation was rolled back, or is being (rollback_pending):
    /// the failure or the refusal that decided it.
    public var reason: String?
    /// "pid@hostname" of the controller process working on it.
    public var owner: String
    /// The operation's fencing token: greater than every token handed out
    /// before, new at each begin and each takeover (claim). Its requests to
    /// agents carry it; its journal writes check it is still its own.
    public var fence: Int64 = 0
    public var createdAt: Double
    public var updatedAt: Double

    public init(id: Int64? = nil, kind: String, guest: String?, host: String?, params: String, state: State = .running,
                step: String, error: String? = nil, reason: String? = nil, owner: String, createdAt: Double, updatedAt: Double) {
        self.id = id
        self.kind = kind
        self.guest = guest
        self.host = host
        self.params = params
        self.state = state
        self.step = step
        self.error = error
        self.reason = reason
        self.owner = owner
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    static func migrateFence(_ db: Database) throws {
        try db.alter(table: databaseTableName) { t in
            t.add(column: "fence", .integer).notNull().defaults(to: 0)
        }
    }

    /// The next token: one more than any given so far, in the write that
    /// takes it, so that two controllers never hold the same (in a
    /// replicated store the writes are ordered by etcd's log).
    static func nextFence(_ db: Database) throws -> Int64 {
        (try Int64.fetchOne(db, sql: "SELECT MAX(fence) FROM operations") ?? 0) + 1
    }
}

public struct StoredOperationStep: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "operation_steps"
    public var id: Int64?
    public var operation: Int64
    public var step: String
    public var state: String
    public var detail: String?
    public var at: Double

    public init(id: Int64? = nil, operation: Int64, step: String, state: String, detail: String?, at: Double) {
        self.id = id
        self.operation = operation
        self.step = step
        self.state = state
        self.detail = detail
        self.at = at
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
