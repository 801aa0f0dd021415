import GRDB

/// One change to the fleet as the audit trail keeps it (table `events`):
/// who made it, why, what it touched, how it ended and how long it took.
/// Rows are only ever added; retention is the one thing that deletes them.
public struct StoredEvent: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "events"

    public enum Outcome: String, Codable, Sendable {
        case ok, failed
        /// A move that failed and was undone: the guest is where it was.
        case rolledBack = "rolled_back"
    }

    /// Grows with every event and is never reused (AUTOINCREMENT), also
    /// after retention: `events --follow` reads by it.
    public var id: Int64?
    /// When the outcome was known and the row written (Unix seconds).
    public var at: Double
    /// The OS user who ran the controller process.
    public var user: String
    /// The host name of the machine the controller ran on.
    public var machine: String
    /// What was done, `group.verb`: `guest.move`, `host.cordon`, `config.set`.
    public var action: String
    /// The command this was part of, when it is not the action itself
    /// (`host.evacuate` for each of its moves).
    public var command: String?
    /// The operator's `--reason`.
    public var reason: String?
    public var guest: String?
    /// The host touched; for a move, its source.
    public var host: String?
    /// A move's destination.
    public var toHost: String?
    public var template: String?
    /// The journal's operation, when the change was one.
    public var operation: Int64?
    public var outcome: Outcome
    /// Why it failed or was rolled back.
    public var error: String?
    /// What else says what happened (a setting's new value, a summary).
    public var detail: String?
    public var seconds: Double

    public init(id: Int64? = nil, at: Double, user: String, machine: String, action: String, command: String? = nil,
                reason: String? = nil, guest: String? = nil, host: String? = nil, toHost: String? = nil, template: String? = nil,
                operation: Int64? = nil, outcome: Outcome, error: String? = nil, detail: String? = nil, seconds: Double) {
        self.id = id
        self.at = at
        self.user = user
        self.machine = machine
        self.action = action
        self.command = command
        self.reason = reason
        self.guest = guest
        self.host = host
        self.toHost = toHost
        self.template = template
        self.operation = operation
        self.outcome = outcome
        self.error = error
        self.detail = detail
        self.seconds = seconds
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
