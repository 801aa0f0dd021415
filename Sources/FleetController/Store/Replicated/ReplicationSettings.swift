import FleetEtcd
import FleetProtocol
import Foundation

/// The replicated store's settings: which etcd, under which key prefix the
/// fleet's log lives, and how often a writer stores a snapshot and drops
/// the log behind it.
public struct ReplicationSettings: Sendable, Equatable {
    public var etcd: EtcdSettings
    /// Keys are `<prefix>/store/...`; several fleets may share one etcd
    /// under different prefixes.
    public var prefix: String
    /// A writer that commits an entry whose number is a multiple of this
    /// stores a snapshot and deletes the entries it covers.
    public var snapshotEvery: Int
    /// How often a write whose turn another controller took is run again
    /// on the newer state before it fails.
    public var maxAttempts: Int
    /// Seconds an operation owner's lease lives without a keep-alive: how
    /// long after a controller dies (or is cut off) another may take its
    /// operations over.
    public var leaseTTL: Int64 = defaultLeaseTTL

    public static let defaultPrefix = "/vfleet"
    public static let defaultSnapshotEvery = 1000
    public static let defaultLeaseTTL: Int64 = 5

    public init(etcd: EtcdSettings, prefix: String = defaultPrefix, snapshotEvery: Int = defaultSnapshotEvery, maxAttempts: Int = 20) {
        self.etcd = etcd
        self.prefix = prefix
        self.snapshotEvery = snapshotEvery
        self.maxAttempts = maxAttempts
    }

    /// The etcd settings (`VFLEET_ETCD_*`), `VFLEET_STORE_PREFIX` and
    /// `VFLEET_STORE_SNAPSHOT_EVERY`.
    public static func fromEnvironment(_ environment: [String: String]) throws(FleetError) -> ReplicationSettings {
        let etcd: EtcdSettings
        do { etcd = try EtcdSettings.fromEnvironment(environment) } catch {
            throw .invalid("VFLEET_STORE=replicated needs etcd: \(error.message)")
        }
        var settings = ReplicationSettings(etcd: etcd)
        if let prefix = environment["VFLEET_STORE_PREFIX"], !prefix.isEmpty {
            guard prefix.hasPrefix("/"), !prefix.hasSuffix("/") else {
                throw .invalid("bad VFLEET_STORE_PREFIX '\(prefix)': give a key prefix that starts with / and does not end with one, e.g. /vfleet")
            }
            settings.prefix = prefix
        }
        if let text = environment["VFLEET_STORE_SNAPSHOT_EVERY"], !text.isEmpty {
            guard let every = Int(text), every >= 2 else {
                throw .invalid("bad VFLEET_STORE_SNAPSHOT_EVERY '\(text)': give the number of log entries between snapshots, at least 2 (default \(defaultSnapshotEvery))")
            }
            settings.snapshotEvery = every
        }
        if let text = environment["VFLEET_LEASE_TTL"], !text.isEmpty {
            guard let ttl = Int64(text), (2...600).contains(ttl) else {
                throw .invalid("bad VFLEET_LEASE_TTL '\(text)': give the seconds an operation owner's lease lives without a keep-alive, 2 to 600 (default \(defaultLeaseTTL))")
            }
            settings.leaseTTL = ttl
        }
        return settings
    }
}
