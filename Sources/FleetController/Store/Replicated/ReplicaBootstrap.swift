import FleetEtcd
import FleetProtocol
import Foundation
import GRDB

/// `vfleet db migrate --to replicated`: a standalone store becomes the
/// first snapshot of a new fleet in etcd, and the file itself becomes this
/// controller's replica of it.
enum ReplicaBootstrap {
    struct Loaded: Sendable {
        let fleet: String
        let snapshotBytes: Int
    }

    static func load(pool: any DatabaseWriter, path: String, settings: ReplicationSettings) throws -> Loaded {
        let client: EtcdClient
        do { client = try EtcdClient(settings: settings.etcd) } catch { throw FleetError.invalid(error.message) }
        let log = ReplicaLog(client: client, prefix: settings.prefix)
        let where_ = "etcd at \(settings.etcd.endpoints.map(String.init(describing:)).joined(separator: ",")) under \(settings.prefix)"
        func refuseExisting() throws -> Never {
            let fleet = (try? log.fleet()) ?? nil
            let head = (try? log.head().seq).map(String.init) ?? "?"
            throw FleetError.conflict("\(where_) holds a fleet already (\(fleet ?? "?"), \(head) log entries): refusing to replace it. To join it, run this controller with VFLEET_STORE=replicated and a --db that does not exist yet; to load this store anyway, choose another VFLEET_STORE_PREFIX or remove that fleet from etcd first")
        }
        do {
            if try log.fleet() != nil { try refuseExisting() }
        } catch let error as EtcdError {
            throw FleetError(.unreachable, "cannot load the store into etcd: \(error.message)")
        }
        let fleet = UUID().uuidString.lowercased()
        // The file is marked first: a standalone vfleet started from now on
        // refuses it, so nothing is written beside the fleet in etcd.
        try pool.write { db in
            if let position = try ReplicaPosition.read(db) {
                throw FleetError.conflict("\(path) is a replica of fleet \(position.fleet) already: nothing to load (run with VFLEET_STORE=replicated)")
            }
            try ReplicaPosition.create(db, fleet: fleet, seq: 0)
        }
        do {
            let directory = (path as NSString).deletingLastPathComponent
            let file = (directory.isEmpty ? "." : directory) + "/.vfleet-load-\(fleet).db"
            defer { Replica.removeDatabase(file) }
            let copy = try DatabaseQueue(path: file)
            try pool.backup(to: copy)
            try copy.close()
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            let created: Bool
            do { created = try log.create(fleet: fleet, snapshot: bytes) } catch {
                throw FleetError(.unreachable, "cannot load the store into etcd: \(error.message); \(path) stays a standalone store")
            }
            guard created else { try refuseExisting() }
            return Loaded(fleet: fleet, snapshotBytes: bytes.count)
        } catch {
            try? pool.write(ReplicaPosition.drop)
            throw error
        }
    }
}
