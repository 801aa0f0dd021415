import Foundation
import Glibc

/// Content digests of a tree's files, remembered with the identity of the
/// file they were computed from (device, inode, size, mtime, ctime), so that
/// a later digest of the tree hashes only what changed since.
///
/// Trust rules, as git's index does for "racily clean" entries:
/// - an entry is recorded only if the file's identity was the same before
///   and after it was read (it did not change while being hashed);
/// - only if its ctime is at least `racyWindow` older than the start of the
///   hashing. The kernel stamps inodes from a clock that advances in ticks
///   (at most 10 ms, HZ ≥ 100), so a write in the same tick as the one
///   before can leave ctime unchanged; a file last changed a whole window
///   before we looked cannot be changed later with the same ctime. Files
///   changed just before are hashed every time.
/// ctime cannot be set from user space, so a file rewritten and given its
/// old mtime back still shows as changed.
public struct DigestCache: Sendable {
    public static let racyWindow = 0.1

    struct Identity: Equatable, Sendable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var mtime: Int64
        var mtimeNs: Int64
        var ctime: Int64
        var ctimeNs: Int64

        init(_ st: stat) {
            device = UInt64(st.st_dev)
            inode = UInt64(st.st_ino)
            size = Int64(st.st_size)
            mtime = Int64(st.st_mtim.tv_sec)
            mtimeNs = Int64(st.st_mtim.tv_nsec)
            ctime = Int64(st.st_ctim.tv_sec)
            ctimeNs = Int64(st.st_ctim.tv_nsec)
        }

        init(device: UInt64, inode: UInt64, size: Int64, mtime: Int64, mtimeNs: Int64, ctime: Int64, ctimeNs: Int64) {
            self.device = device
            self.inode = inode
            self.size = size
            self.mtime = mtime
            self.mtimeNs = mtimeNs
            self.ctime = ctime
            self.ctimeNs = ctimeNs
        }
    }

    struct Entry: Sendable {
        var identity: Identity
        var digest: String
    }

    private(set) var entries: [[UInt8]: Entry] = [:]
    /// When the current hashing started (seconds since the epoch).
    var hashedAt: Double

    public init(hashedAt: Double = Date().timeIntervalSince1970) { self.hashedAt = hashedAt }

    public var count: Int { entries.count }

    func digest(for path: [UInt8], status: stat) -> String? {
        guard let e = entries[path], e.identity == Identity(status) else { return nil }
        return e.digest
    }

    mutating func record(_ path: [UInt8], before: stat, after: stat, digest: String) {
        let identity = Identity(before)
        guard identity == Identity(after), Double(identity.ctime) + Double(identity.ctimeNs) / 1e9 < hashedAt - Self.racyWindow else {
            entries[path] = nil
            return
        }
        entries[path] = Entry(identity: identity, digest: digest)
    }

    /// Records the digest of a file this process has just written (its
    /// content read back), with its status after the last change it made. The
    /// racy window does not apply: it is for files someone else may still be
    /// writing, and only the writer of a staging area writes there (a later
    /// stream into it replaces a file by a new inode and records it again).
    mutating func recordWritten(_ path: [UInt8], status: stat, digest: String) {
        entries[path] = Entry(identity: Identity(status), digest: digest)
    }

    /// Keeps only the entries whose paths are in `paths` (the tree as walked).
    mutating func retain(_ paths: Set<[UInt8]>) {
        entries = entries.filter { paths.contains($0.key) }
    }

    // MARK: file

    /// Reads a cache file; a missing or damaged one is an empty cache (it
    /// only ever saves work).
    public static func load(_ file: String, hashedAt: Double = Date().timeIntervalSince1970) -> DigestCache {
        var cache = DigestCache(hashedAt: hashedAt)
        guard let data = FileManager.default.contents(atPath: file) else { return cache }
        for line in data.split(separator: 10) {
            // device inode size mtime mtimeNs ctime ctimeNs digest path (path last: it may hold spaces)
            let fields = line.split(separator: 32, maxSplits: 8, omittingEmptySubsequences: false)
            guard fields.count == 9 else { continue }
            let numbers = fields[0..<7].map { Int64(String(decoding: $0, as: UTF8.self)) }
            guard numbers.allSatisfy({ $0 != nil }), fields[7].count == 64, let path = unescape(Array(fields[8])) else { continue }
            let n = numbers.map { $0! }
            let identity = Identity(device: UInt64(bitPattern: n[0]), inode: UInt64(bitPattern: n[1]), size: n[2],
                                    mtime: n[3], mtimeNs: n[4], ctime: n[5], ctimeNs: n[6])
            cache.entries[path] = Entry(identity: identity, digest: String(decoding: fields[7], as: UTF8.self))
        }
        return cache
    }

    /// Writes the cache by rename (a reader never sees half a file).
    public func save(_ file: String) throws {
        var out = Data()
        out.reserveCapacity(entries.count * 120)
        for (path, e) in entries {
            let i = e.identity
            out.append(contentsOf: "\(Int64(bitPattern: i.device)) \(Int64(bitPattern: i.inode)) \(i.size) \(i.mtime) \(i.mtimeNs) \(i.ctime) \(i.ctimeNs) \(e.digest) ".utf8)
            out.append(contentsOf: Self.escape(path))
            out.append(10)
        }
        let temporary = file + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: out, attributes: [.posixPermissions: 0o600]) else {
            throw TreeError(operation: "cannot save digest cache \(file)", TreeProblem(path: file, problem: "cannot write \(temporary)", remedy: "check the disk"))
        }
        guard rename(temporary, file) == 0 else {
            unlink(temporary)
            throw TreeError(operation: "cannot save digest cache \(file)", TreeProblem(path: file, problem: String(cString: strerror(errno)), remedy: "check the disk"))
        }
    }

    /// Newlines and backslashes escaped, so one entry is one line.
    static func escape(_ path: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for b in path {
            switch b {
            case 92: out += [92, 92]
            case 10: out += [92, 110]
            default: out.append(b)
            }
        }
        return out
    }

    static func unescape(_ bytes: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == 92 {
                guard i + 1 < bytes.count else { return nil }
                switch bytes[i + 1] {
                case 92: out.append(92)
                case 110: out.append(10)
                default: return nil
                }
                i += 2
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }
}
