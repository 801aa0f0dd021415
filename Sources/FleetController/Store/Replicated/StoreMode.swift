import FleetEtcd
import FleetProtocol
import Foundation

/// Where the store's truth lives: one local SQLite file (standalone, the
/// default: nothing else to install or start), or a log in etcd that this
/// controller's SQLite file replicates (docs/ARCHITECTURE.md, the
/// replicated store).
public enum StoreMode: Sendable, Equatable {
    case standalone
    case replicated(ReplicationSettings)

    /// `VFLEET_STORE` (`standalone`, the default, or `replicated`), with the
    /// replicated mode's settings (`ReplicationSettings.fromEnvironment`).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(FleetError) -> StoreMode {
        switch environment["VFLEET_STORE"]?.trimmingCharacters(in: .whitespaces) ?? "" {
        case "", "standalone": return .standalone
        case "replicated": return .replicated(try ReplicationSettings.fromEnvironment(environment))
        case let other:
            throw .invalid("bad VFLEET_STORE '\(other)': give standalone (one local SQLite file, the default) or replicated (etcd, with VFLEET_ETCD_ENDPOINTS)")
        }
    }
}
