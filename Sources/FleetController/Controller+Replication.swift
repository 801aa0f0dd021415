import FleetProtocol
import Foundation

/// The store's mode as the command line sees it (docs/ARCHITECTURE.md,
/// the replicated store).
extension Controller {
    /// standalone or replicated (VFLEET_STORE).
    public var storeMode: String { store.mode }

    /// Where the store's warnings go: in replicated mode, that a read was
    /// answered from this controller's replica while etcd could not be
    /// asked (it may be stale). Warnings from before come at once.
    public func onStoreWarning(_ handler: @escaping @Sendable (String) -> Void) {
        store.onWarning(handler)
    }

    /// `vfleet db migrate --to replicated`: the standalone store at
    /// `dbPath` becomes a new fleet in etcd (VFLEET_ETCD_*), refused when
    /// etcd holds one under the prefix already.
    public static func loadStoreIntoEtcd(dbPath: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(FleetError) -> ReplicatedFleetLoad {
        let settings = try ReplicationSettings.fromEnvironment(environment)
        let store = try FleetStore(path: dbPath, mode: .standalone)
        return try store.loadIntoEtcd(settings)
    }

    /// `vfleet db upgrade`: the store's schema migrations this vfleet has
    /// and the fleet lacks, run once for every replica (a replicated store:
    /// one entry of the log); what was run, and the store's mode.
    public static func upgradeStoreSchema(dbPath: String) throws(FleetError) -> (mode: String, migrations: [String]) {
        let store = try FleetStore(path: dbPath, allowingOlderSchema: true)
        return (store.mode, try store.upgradeSchema())
    }
}
