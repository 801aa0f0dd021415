import FleetEtcd
import FleetTree
import Foundation

/// Snapshots in etcd: the bytes of a replica's SQLite file in chunks under
/// a fresh id, then the manifest that names them, put only if no one put
/// another since (a newer snapshot is never replaced by an older one).
extension ReplicaLog {
    /// etcd refuses requests above --max-request-bytes (1.5 MiB by default).
    static let chunkBytes = 1_000_000

    func manifest() throws(EtcdError) -> (SnapshotManifest, revision: Int64)? {
        guard let kv = try client.get(manifestKey) else { return nil }
        guard let manifest = try? JSONDecoder().decode(SnapshotManifest.self, from: kv.value) else {
            throw EtcdError(.badResponse, "etcd key \(manifestKey) holds no snapshot manifest vfleet can read: is another program writing under \(prefix)?")
        }
        return (manifest, kv.modRevision)
    }

    /// Uploads `bytes` as a new snapshot's chunks; the manifest to put.
    func upload(_ bytes: Data, seq: Int64) throws(EtcdError) -> SnapshotManifest {
        let id = UUID().uuidString.lowercased()
        var offset = 0, index = 0
        while offset < bytes.count || index == 0 {
            let end = min(bytes.count, offset + Self.chunkBytes)
            _ = try client.put(EtcdPutRequest(key: Data(chunkKey(id, index).utf8), value: bytes.subdata(in: offset..<end)))
            offset = end
            index += 1
        }
        var hasher = SHA256Hasher()
        hasher.update(bytes)
        return SnapshotManifest(id: id, seq: seq, bytes: bytes.count, chunks: index, sha256: hasher.finalizeHex(),
                                takenAt: Date().timeIntervalSince1970)
    }

    /// Stores a snapshot of entry `seq` and deletes what it makes useless:
    /// the previous snapshot's chunks and the entries up to `seq`. False
    /// if a snapshot as new or newer is there already.
    @discardableResult
    func storeSnapshot(_ bytes: Data, seq: Int64) throws(EtcdError) -> Bool {
        let current = try manifest()
        if let current, current.0.seq >= seq { return false }
        let manifest = try upload(bytes, seq: seq)
        let put = EtcdTxnRequest(
            compare: [EtcdCompare(manifestKey, .equal, .modRevision(current?.revision ?? 0))],
            success: [.put(EtcdPutRequest(key: Data(manifestKey.utf8), value: try encode(manifest)))])
        guard try client.txn(put).succeeded else {
            try? deleteChunks(of: manifest.id)
            return false
        }
        if let old = current?.0 { try? deleteChunks(of: old.id) }
        // Entries up to seq are in the snapshot; a replica behind it starts from the snapshot.
        _ = try? client.delete(EtcdDeleteRequest(EtcdKeyRange(key: Data(logKey(0).utf8), end: Data(logKey(seq + 1).utf8))))
        return true
    }

    /// The snapshot's bytes, checked against its size and digest; nil if a
    /// newer snapshot replaced it meanwhile (its chunks are gone: read the
    /// manifest again).
    func download(_ manifest: SnapshotManifest) throws(EtcdError) -> Data? {
        var bytes = Data()
        bytes.reserveCapacity(manifest.bytes)
        for index in 0..<manifest.chunks {
            guard let kv = try client.get(chunkKey(manifest.id, index)) else { return nil }
            bytes.append(kv.value)
        }
        var hasher = SHA256Hasher()
        hasher.update(bytes)
        guard bytes.count == manifest.bytes, hasher.finalizeHex() == manifest.sha256 else {
            throw EtcdError(.badResponse, "snapshot \(manifest.id) (entry \(manifest.seq)) in etcd does not match its manifest (\(bytes.count) bytes, expected \(manifest.bytes) with sha256 \(manifest.sha256)): it is damaged; a writer stores a new one every few entries")
        }
        return bytes
    }

    /// Puts a new fleet: its id, an empty log (head 0) and its first
    /// snapshot, only if etcd holds no fleet under this prefix yet.
    func create(fleet: String, snapshot bytes: Data) throws(EtcdError) -> Bool {
        let manifest = try upload(bytes, seq: 0)
        let create = EtcdTxnRequest(
            compare: [EtcdCompare(fleetKey, .equal, .createRevision(0))],
            success: [
                .put(EtcdPutRequest(fleetKey, fleet)),
                .put(EtcdPutRequest(headKey, "0")),
                .put(EtcdPutRequest(key: Data(manifestKey.utf8), value: try encode(manifest))),
            ])
        let created: Bool
        do { created = try client.txn(create).succeeded } catch {
            try? deleteChunks(of: manifest.id)
            throw error
        }
        if !created { try? deleteChunks(of: manifest.id) }
        return created
    }

    private func deleteChunks(of id: String) throws(EtcdError) {
        _ = try client.delete(EtcdDeleteRequest(.prefix(prefix + "/store/snapshot/\(id)/")))
    }

    private func encode(_ manifest: SnapshotManifest) throws(EtcdError) -> Data {
        do { return try JSONEncoder().encode(manifest) } catch {
            throw EtcdError(.invalidArgument, "cannot encode the snapshot manifest: \(error)")
        }
    }
}
