import FleetProtocol
import Foundation

/// What the store holds, as the command line shows it: `vfleet` reads the
/// desired state through these and never through the store itself.
extension Controller {
    /// The store's file.
    public var databasePath: String { store.path }

    /// Where this store's connection keeper listens (one per store,
    /// identity and known_hosts).
    public var keeperSocketPath: String { ConnectionKeeper.socketPath(database: store.path, settings: settings) }

    /// A consistent copy of the store at `file` (which must not exist), also
    /// while other processes use it.
    public func backupDatabase(to file: String) throws(FleetError) { try store.backup(to: file) }

    public func hosts() throws(FleetError) -> [StoredHost] { try store.hosts() }

    public func host(_ name: String) throws(FleetError) -> StoredHost { try store.host(name) }

    public func guests() throws(FleetError) -> [StoredGuest] { try store.guests() }

    /// Each placed guest's host, by guest name.
    public func placements() throws(FleetError) -> [String: String] {
        Dictionary(uniqueKeysWithValues: try store.placements().map { ($0.guest, $0.host) })
    }

    /// The names of the guests placed on `host`, sorted.
    public func guestNames(on host: String) throws(FleetError) -> [String] {
        try store.placements().filter { $0.host == host }.map(\.guest).sorted()
    }

    public func templates() throws(FleetError) -> [StoredTemplate] { try store.templates() }

    /// Recent operations of the journal, newest first.
    public func operations() throws(FleetError) -> [StoredOperation] { try store.operations() }

    /// One operation of the journal and each of its steps, in order.
    public func operation(_ id: Int64) throws(FleetError) -> (operation: StoredOperation, steps: [StoredOperationStep]) {
        (try store.operation(id), try store.steps(of: id))
    }

    /// What each copy step of an operation sent, and how (running ones: so far).
    public func transfers(of id: Int64) throws(FleetError) -> [StoredTransfer] { try store.transfers(of: id) }
}
