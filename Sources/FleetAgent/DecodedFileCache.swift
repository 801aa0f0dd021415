import FleetProtocol
import Foundation
import Glibc
import Synchronization

/// Decoded state files, kept by a long-lived agent (`rpc`) while the file
/// stays the same: `hello` reads every guest's and template's record on
/// each call, and decoding JSON costs far more than a stat. State files are
/// replaced by rename (AtomicFile), so a new version has a new inode; the
/// modification time and size guard against anything else.
enum DecodedFileCache {
    private struct Identity: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var seconds: Int
        var nanoseconds: Int
    }

    private struct Entry: Sendable {
        var identity: Identity
        var value: any Sendable
    }

    private static let entries = Mutex<[String: Entry]>([:])

    static func readJSON<T: Decodable & Sendable>(_ type: T.Type, from path: String) throws(FleetError) -> T {
        var st = stat()
        guard stat(path, &st) == 0 else { return try AtomicFile.readJSON(T.self, from: path) }
        let id = Identity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
                          seconds: st.st_mtim.tv_sec, nanoseconds: st.st_mtim.tv_nsec)
        if let hit = entries.withLock({ $0[path] }), hit.identity == id, let value = hit.value as? T {
            return value
        }
        let value = try AtomicFile.readJSON(T.self, from: path)
        entries.withLock { $0[path] = Entry(identity: id, value: value) }
        return value
    }
}
