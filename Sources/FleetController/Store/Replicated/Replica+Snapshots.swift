import FleetEtcd
import FleetProtocol
import Foundation
import GRDB

/// Snapshots: a writer whose entry number is a multiple of
/// `snapshotEvery` stores the replica's file in etcd and drops the entries
/// it covers; a replica behind the oldest entry left starts from it.
extension Replica {
    /// Best effort after a committed write: the write is done whatever
    /// happens here, and the next multiple tries again.
    func snapshotAfterWrite(_ seq: Int64) {
        do { try takeSnapshot() } catch {
            notices.tell("warning: the snapshot after log entry \(seq) was not stored (\(error)); the log keeps its entries and the next writer tries again")
        }
    }

    /// Stores this replica's file, as of the entry it has applied, as the
    /// fleet's newest snapshot; returns that entry's number.
    @discardableResult
    func takeSnapshot() throws -> Int64 {
        let file = scratchFile("snapshot")
        defer { Self.removeDatabase(file) }
        let copy = try DatabaseQueue(path: file)
        try pool.backup(to: copy)
        guard let position = try copy.read(ReplicaPosition.read) else { throw ReplicaFailure.local("the snapshot copy has no \(ReplicaPosition.table)") }
        try copy.close()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        _ = try etcd("snapshot") { () throws(EtcdError) in try log.storeSnapshot(bytes, seq: position.seq) }
        return position.seq
    }

    /// Replaces this replica's content with the newest snapshot, which
    /// must be past `seq` (SQLite's backup into the open file: other
    /// connections see the old or the new content, never a mix).
    func restoreSnapshot(after seq: Int64) throws {
        for _ in 0..<3 {
            guard let (manifest, _) = try etcd("read", { () throws(EtcdError) in try log.manifest() }) else {
                throw FleetError.failed("replica \(path) needs log entry \(seq + 1), which etcd no longer holds, and etcd holds no snapshot under \(log.prefix): the fleet's data in etcd is damaged; restore it with `vfleet db migrate --to replicated` from a backup")
            }
            guard manifest.seq > seq else {
                throw FleetError.failed("replica \(path) is at entry \(seq) but etcd holds neither entry \(seq + 1) nor a snapshot past it (newest: entry \(manifest.seq)): \(Self.rebuild(path))")
            }
            guard let bytes = try etcd("read", { () throws(EtcdError) in try log.download(manifest) }) else { continue }
            let file = scratchFile("restore")
            defer { Self.removeDatabase(file) }
            try bytes.write(to: URL(fileURLWithPath: file))
            let source = try DatabaseQueue(path: file)
            guard let position = try source.read(ReplicaPosition.read), position.fleet == fleet, position.seq == manifest.seq else {
                throw FleetError.failed("snapshot \(manifest.id) in etcd is not of fleet \(fleet) at entry \(manifest.seq): is another fleet writing under \(log.prefix)?")
            }
            try source.backup(to: pool)
            try source.close()
            return
        }
        throw FleetError.failed("replica \(path): the newest snapshot in etcd was replaced 3 times while it was read; try again")
    }

    func scratchFile(_ what: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        return (directory.isEmpty ? "." : directory) + "/.vfleet-\(what)-\(UUID().uuidString.lowercased()).db"
    }

    static func removeDatabase(_ file: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: file + suffix) }
    }
}
