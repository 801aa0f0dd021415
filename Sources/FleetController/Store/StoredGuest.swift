import FleetProtocol
import GRDB

/// A guest as the operator wants it (table `guests`).
public struct StoredGuest: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "guests"

    public enum DesiredState: String, Codable, Sendable, CaseIterable {
        case running, stopped
    }

    public var name: String
    public var template: String
    /// The spec sent to the agent.
    public var spec: GuestSpec
    /// What the scheduler reserves: the limits, or the controller's defaults.
    public var memoryBytes: UInt64
    public var cpuMillis: Int
    public var diskBytes: UInt64
    /// Anti-affinity group.
    public var groupName: String?
    public var requires: [String: String]
    public var desiredState: DesiredState
    /// The host an evacuation moved it from (for `host restore`).
    public var origin: String?
    public var createdAt: Double

    public init(name: String, template: String, spec: GuestSpec, memoryBytes: UInt64, cpuMillis: Int, diskBytes: UInt64,
                groupName: String?, requires: [String: String], desiredState: DesiredState, origin: String? = nil, createdAt: Double) {
        self.name = name
        self.template = template
        self.spec = spec
        self.memoryBytes = memoryBytes
        self.cpuMillis = cpuMillis
        self.diskBytes = diskBytes
        self.groupName = groupName
        self.requires = requires
        self.desiredState = desiredState
        self.origin = origin
        self.createdAt = createdAt
    }
}

/// Where a guest is placed (table `placements`): one row per guest.
public struct StoredPlacement: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "placements"
    public var guest: String
    public var host: String
    public var placedAt: Double

    public init(guest: String, host: String, placedAt: Double) {
        self.guest = guest
        self.host = host
        self.placedAt = placedAt
    }
}
