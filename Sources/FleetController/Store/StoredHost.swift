import FleetProtocol
import GRDB

/// A host the controller drives (table `hosts`).
public struct StoredHost: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "hosts"

    public enum State: String, Codable, Sendable {
        /// Takes placements (unless cordoned).
        case active
        /// Being emptied; no new placements.
        case evacuating
        /// Emptied for maintenance; `host restore` brings it back.
        case evacuated
        /// Declared dead by `host fail`: no placements, and its failed-over
        /// guests' stale copies wait for `host reclaim`; `host restore`
        /// (once reclaimed) makes it active again.
        case failed
    }

    public var name: String
    public var address: String
    public var port: Int
    public var user: String
    public var identityFile: String
    public var labels: [String: String]
    public var reservedMemoryBytes: UInt64
    public var cordoned: Bool
    public var state: State
    /// What the agent said in its last hello.
    public var facts: HostFacts?
    public var hostKeyFingerprint: String
    public var addedAt: Double
    public var lastSeenAt: Double?

    public init(name: String, address: String, port: Int, user: String, identityFile: String, labels: [String: String],
                reservedMemoryBytes: UInt64, cordoned: Bool = false, state: State = .active, facts: HostFacts?,
                hostKeyFingerprint: String, addedAt: Double, lastSeenAt: Double?) {
        self.name = name
        self.address = address
        self.port = port
        self.user = user
        self.identityFile = identityFile
        self.labels = labels
        self.reservedMemoryBytes = reservedMemoryBytes
        self.cordoned = cordoned
        self.state = state
        self.facts = facts
        self.hostKeyFingerprint = hostKeyFingerprint
        self.addedAt = addedAt
        self.lastSeenAt = lastSeenAt
    }

    /// Whether the scheduler may place new guests here.
    public var schedulable: Bool { !cordoned && state == .active }
}
