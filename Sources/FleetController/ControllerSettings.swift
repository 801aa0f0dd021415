import FleetProtocol
import FleetScheduler
import Foundation

/// The controller's settings: `vfleet config set KEY VALUE` stores them in
/// the store; these are the keys and their defaults.
public struct ControllerSettings: Sendable, Equatable {
    public var placementPolicy: PlacementPolicy = .spread
    /// What a guest without limits reserves for the scheduler.
    public var defaultMemoryBytes: UInt64 = 256 << 20
    public var defaultCPUMillis: Int = 100
    public var defaultDiskBytes: UInt64 = 1 << 30
    public var connectTimeout: Double = 5
    public var callTimeout: Double = 60
    public var maxParallelHosts: Int = 16
    /// How long the connection keeper holds the hosts' SSH sessions after
    /// the last call (OpenSSH's ControlPersist); 0: every command connects.
    public var persistSeconds: Double = 60
    /// How long events are kept; 0 keeps them all.
    public var eventRetentionSeconds: Double = 90 * 86_400
    /// `vfleet serve`'s leader runs `host fail` on a host unreachable this
    /// long (AutoFailover); nil: off, the default.
    public var autoFailoverSeconds: Double?
    public var knownHostsFile: String
    public var identityFile: String

    /// Every key, what it means, and its default as `config set` takes it.
    public static let descriptions: [SettingDescription] = [
        SettingDescription(key: "placement.policy", meaning: "spread or binpack", defaultValue: "spread"),
        SettingDescription(key: "defaults.memory", meaning: "memory reserved for a guest without --memory", defaultValue: "256M"),
        SettingDescription(key: "defaults.cpus", meaning: "cpus reserved for a guest without --cpus", defaultValue: "0.1"),
        SettingDescription(key: "defaults.disk", meaning: "disk reserved for a guest without --disk", defaultValue: "1G"),
        SettingDescription(key: "ssh.connect-timeout", meaning: "how long connecting to a host may take", defaultValue: "5s"),
        SettingDescription(key: "ssh.call-timeout", meaning: "how long an agent call may take", defaultValue: "60s"),
        SettingDescription(key: "hosts.parallel", meaning: "hosts asked at once", defaultValue: "16"),
        SettingDescription(key: "ssh.persist", meaning: "keep hosts' SSH sessions open this long after the last command, 0 to connect every time (VFLEET_SSH_PERSIST overrides)",
                           defaultValue: "60s"),
        SettingDescription(key: "events.retention", meaning: "how long the audit trail keeps an event, 0 to keep every one", defaultValue: "90d"),
        SettingDescription(key: "failover.auto-after", meaning: "vfleet serve runs `host fail` on a host with replicated guests that has been unreachable this long (10s to 1d), or off",
                           defaultValue: "off"),
    ]

    /// Key and help line ("meaning (default X)") of every setting.
    public static var keys: [(String, String)] {
        descriptions.map { ($0.key, "\($0.meaning) (default \($0.defaultValue))") }
    }

    public init(knownHostsFile: String, identityFile: String) {
        self.knownHostsFile = knownHostsFile
        self.identityFile = identityFile
    }

    /// Applies stored values; an invalid stored value is an error naming the key.
    public mutating func apply(_ values: [String: String]) throws(FleetError) {
        for (key, value) in values { try set(key, value) }
    }

    public mutating func set(_ key: String, _ value: String) throws(FleetError) {
        func bad(_ what: String) -> FleetError { .invalid("config \(key): \"\(value)\" is not \(what)") }
        switch key {
        case "placement.policy":
            guard let p = PlacementPolicy(rawValue: value) else { throw bad("spread or binpack") }
            placementPolicy = p
        case "defaults.memory":
            guard let b = ByteSize.parse(value), b >= GuestLimits.minimumMemory else { throw bad("a size of at least 4M") }
            defaultMemoryBytes = b
        case "defaults.cpus":
            guard let m = GuestLimits.parseCPUs(value) else { throw bad("a number of cpus") }
            defaultCPUMillis = m
        case "defaults.disk":
            guard let b = ByteSize.parse(value) else { throw bad("a size") }
            defaultDiskBytes = b
        case "ssh.connect-timeout":
            guard let s = DurationText.seconds(value), s > 0 else { throw bad("a duration") }
            connectTimeout = s
        case "ssh.call-timeout":
            guard let s = DurationText.seconds(value), s > 0 else { throw bad("a duration") }
            callTimeout = s
        case "ssh.persist":
            guard let s = DurationText.seconds(value), s >= 0, s <= 86_400 else { throw bad("a duration from 0 to 24h") }
            persistSeconds = s
        case "events.retention":
            guard let s = DurationText.seconds(value) else { throw bad("a duration (e.g. 90d, 12h; 0 keeps every event)") }
            eventRetentionSeconds = s
        case "failover.auto-after":
            if value == "off" {
                autoFailoverSeconds = nil
            } else {
                guard let s = DurationText.seconds(value), s >= 10, s <= 86_400 else { throw bad("a duration from 10s to 1d, or off") }
                autoFailoverSeconds = s
            }
        case "hosts.parallel":
            guard let n = Int(value), n >= 1, n <= 256 else { throw bad("a number from 1 to 256") }
            maxParallelHosts = n
        default:
            throw .invalid("unknown config key \(key) (known: \(Self.keys.map(\.0).joined(separator: ", ")))")
        }
    }
}
