import FleetSystem
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

    package struct Identity: Equatable, Sendable {
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

    package struct Entry: Sendable {
        var identity: Identity
        var digest: String
    }

    private(set) var entries: [[UInt8]: Entry] = [:] {
        didSet { changed = true }
    }
    /// Whether an entry was added, replaced or dropped since the cache was
    /// made or loaded: saving an unchanged cache would rewrite (and fsync)
    /// the same file. A move digests the layer four times, each with a cache
    /// of one line per file (50,000 for a guest of small files).
    public private(set) var changed = false
    /// When the current hashing started (seconds since the epoch).
    package var hashedAt: Double

    public init(hashedAt: Double = Date().timeIntervalSince1970) { self.hashedAt = hashedAt }

    /// After a ``save(_:)`` that succeeded: the file holds this table, so a
    /// copy kept in memory for the next hashing (a move's delta after its
    /// pre-copy) does not save the same lines again.
    package mutating func markSaved() { changed = false }

    public var count: Int { entries.count }

    package func digest(for path: [UInt8], status: stat) -> String? {
        guard let e = entries[path], e.identity == Identity(status) else { return nil }
        return e.digest
    }

    /// Whether `path` has an entry afterwards.
    @discardableResult
    package mutating func record(_ path: [UInt8], before: stat, after: stat, digest: String) -> Bool {
        let identity = Identity(before)
        guard identity == Identity(after), Double(identity.ctime) + Double(identity.ctimeNs) / 1e9 < hashedAt - Self.racyWindow else {
            if entries[path] != nil { entries[path] = nil }
            return false
        }
        entries[path] = Entry(identity: identity, digest: digest)
        return true
    }

    /// Records the digest of a file this process has just written (its
    /// content read back), with its status after the last change it made. The
    /// racy window does not apply: it is for files someone else may still be
    /// writing, and only the writer of a staging area writes there (a later
    /// stream into it replaces a file by a new inode and records it again).
    package mutating func recordWritten(_ path: [UInt8], status: stat, digest: String) {
        entries[path] = Entry(identity: Identity(status), digest: digest)
    }

    /// Takes every entry of `newer`, over any of the same path here.
    public mutating func merge(_ newer: DigestCache) {
        guard !newer.entries.isEmpty else { return }
        // Into an empty cache (a first copy's): no table rebuilt entry by entry.
        if entries.isEmpty {
            entries = newer.entries
            return
        }
        entries.merge(newer.entries) { _, new in new }
    }

    /// Keeps only the entries whose paths are in `paths` (the tree as walked).
    package mutating func retain(_ paths: Set<[UInt8]>) {
        guard entries.keys.contains(where: { !paths.contains($0) }) else { return }
        entries = entries.filter { paths.contains($0.key) }
    }

    // MARK: file

    /// Reads a cache file; a missing or damaged one is an empty cache (it
    /// only ever saves work).
    public static func load(_ file: String, hashedAt: Double = Date().timeIntervalSince1970) -> DigestCache {
        var cache = DigestCache(hashedAt: hashedAt)
        guard let data = FileManager.default.contents(atPath: file) else { return cache }
        // One pass over the bytes: a layer of 50,000 files has a cache of as
        // many lines, read while the guest is down (a move's verification).
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            // Sized once: growing the table line by line rehashed every path
            // about twice (a tenth of a digest of 50,000 cached files).
            cache.entries.reserveCapacity(bytes.reduce(0) { $1 == 10 ? $0 + 1 : $0 })
            var lineStart = 0
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count && bytes[lineEnd] != 10 { lineEnd += 1 }
                if let (path, entry) = parseLine(UnsafeBufferPointer(rebasing: bytes[lineStart..<lineEnd])) {
                    cache.entries[path] = entry
                }
                lineStart = lineEnd + 1
            }
        }
        cache.changed = false
        return cache
    }

    /// One line: device inode size mtime mtimeNs ctime ctimeNs digest path
    /// (path last: it may hold spaces). nil for a damaged line.
    package static func parseLine(_ line: UnsafeBufferPointer<UInt8>) -> ([UInt8], Entry)? {
        var numbers = (Int64(0), Int64(0), Int64(0), Int64(0), Int64(0), Int64(0), Int64(0))
        var i = 0
        let parsed: Bool = withUnsafeMutableBytes(of: &numbers) { raw in
            let n = raw.bindMemory(to: Int64.self)
            for k in 0..<7 {
                guard let (value, next) = parseInteger(line, from: i) else { return false }
                n[k] = value
                i = next
            }
            return true
        }
        guard parsed, i + 65 <= line.count, line[i + 64] == 32 else { return nil }
        let digest = String(decoding: UnsafeBufferPointer(rebasing: line[i..<(i + 64)]), as: UTF8.self)
        guard let path = unescape(Array(line[(i + 65)...])) else { return nil }
        let identity = Identity(device: UInt64(bitPattern: numbers.0), inode: UInt64(bitPattern: numbers.1), size: numbers.2,
                                mtime: numbers.3, mtimeNs: numbers.4, ctime: numbers.5, ctimeNs: numbers.6)
        return (path, Entry(identity: identity, digest: digest))
    }

    /// A decimal integer (optionally negative) at `start`, ended by one
    /// space; the value and the index after the space.
    private static func parseInteger(_ line: UnsafeBufferPointer<UInt8>, from start: Int) -> (Int64, Int)? {
        var i = start
        let negative = i < line.count && line[i] == 45
        if negative { i += 1 }
        let digitsStart = i
        var magnitude: UInt64 = 0
        while i < line.count, line[i] >= 48, line[i] <= 57 {
            let (shifted, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = shifted.addingReportingOverflow(UInt64(line[i] - 48))
            guard !o1, !o2 else { return nil }
            magnitude = sum
            i += 1
        }
        guard i > digitsStart, i < line.count, line[i] == 32 else { return nil }
        // Device and inode numbers are stored as Int64 bit patterns: Int64.min included.
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return (magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude), i + 1)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return (Int64(magnitude), i + 1)
    }

    /// Writes the cache atomically (a reader never sees half a file).
    public func save(_ file: String) throws {
        try Self.write(encoded(), to: file)
    }

    /// Replaces `file` with a cache's ``encoded()`` text, atomically.
    public static func write(_ text: [UInt8], to file: String) throws {
        do { try AtomicFile.replace(file, with: text, mode: 0o600) } catch {
            throw TreeError(operation: "cannot save digest cache \(file)", TreeProblem(path: file, problem: error.description, remedy: "check the disk"))
        }
    }

    /// The cache file's text: one line per entry.
    public func encoded() -> [UInt8] {
        // Digits written straight into the bytes: string interpolation per
        // line was a third of saving 50,000 lines, at the end of a pre-copy.
        var out: [UInt8] = []
        out.reserveCapacity(entries.count * 120)
        for (path, e) in entries {
            let i = e.identity
            Self.appendDecimal(Int64(bitPattern: i.device), to: &out)
            Self.appendDecimal(Int64(bitPattern: i.inode), to: &out)
            Self.appendDecimal(i.size, to: &out)
            Self.appendDecimal(i.mtime, to: &out)
            Self.appendDecimal(i.mtimeNs, to: &out)
            Self.appendDecimal(i.ctime, to: &out)
            Self.appendDecimal(i.ctimeNs, to: &out)
            out.append(contentsOf: e.digest.utf8)
            out.append(32)
            out.append(contentsOf: Self.escape(path))
            out.append(10)
        }
        return out
    }

    /// `value` in decimal and a space.
    package static func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(45) }
        var magnitude = value.magnitude
        let start = out.count
        repeat {
            out.append(48 + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        out[start...].reverse()
        out.append(32)
    }

    /// Newlines and backslashes escaped, so one entry is one line.
    package static func escape(_ path: [UInt8]) -> [UInt8] {
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

    package static func unescape(_ bytes: [UInt8]) -> [UInt8]? {
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
