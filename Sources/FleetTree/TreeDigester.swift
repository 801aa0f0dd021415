import Glibc

/// Describes and fingerprints a directory tree without following symlinks.
///
/// ## Canonical digest format (stable; do not change)
///
/// The tree digest is the lowercase hex SHA-256 of the concatenation of one
/// record per entry below the root. The root directory itself has no record,
/// so its own mode, owner and times do not matter. Records are ordered by the
/// entry's relative path compared bytewise (so `a-b` sorts before `a/b`).
/// Each record is six fields separated by a NUL byte and ended by a newline:
///
///     path<NUL>kind<NUL>mode<NUL>uid<NUL>gid<NUL>detail<LF>
///
/// - `path`: the path relative to the root, components joined by "/", no
///   leading "/", raw name bytes with "\" written as "\\" and a newline as "\n".
/// - `kind`: the ``TreeEntryKind`` raw value: `file`, `directory`, `symlink`,
///   `fifo`, `charDevice` or `blockDevice` (never `socket`: see below).
/// - `mode`: `st_mode & 0o7777` as four octal digits, e.g. `0755`, `4755`
///   (symlinks record what `lstat` reports, `0777` on Linux).
/// - `uid`, `gid`: decimal numeric ids.
/// - `detail`: for a regular file the lowercase hex SHA-256 of its content;
///   for a symlink its target bytes, escaped like `path`; for a device
///   `major,minor` in decimal; empty for directories and FIFOs.
///
/// Sockets have no record: a socket file is the name of an endpoint a
/// process bound, holds nothing, and is not carried by a tree stream (the
/// process makes it again when it binds); a layer holding one must digest
/// as its streamed copy does, or a move of a guest running, say, postfix
/// (whose sockets live in /var/spool) would never be adopted.
///
/// Times, sizes of non-files, xattrs and inode numbers are not part of the
/// digest. Hard links are invisible: every name is recorded as an ordinary
/// file with its own content digest, so two trees with the same names and
/// contents match however their links are laid out.
///
/// Example: a root-owned tree holding only `bin/` (0755) and `bin/sh -> busybox`
/// hashes these two records (`<NUL>` is byte 0, `<LF>` is byte 10):
///
///     bin<NUL>directory<NUL>0755<NUL>0<NUL>0<NUL><LF>
///     bin/sh<NUL>symlink<NUL>0777<NUL>0<NUL>0<NUL>busybox<LF>
public enum TreeDigester {
    /// The digest of the tree below `root` (a directory; if `root` itself is
    /// a symlink it is followed, nothing inside is).
    public static func digest(root: String) throws -> TreeDigest {
        var none: DigestCache?
        return try digest(root: root, cache: &none)
    }

    /// The digest, taking the content digests of unchanged files from
    /// `cache` and recording the ones it computed (see ``DigestCache`` for
    /// when an entry is trusted). The result equals `digest(root:)`.
    public static func digest(root: String, cache: inout DigestCache?) throws -> TreeDigest {
        digest(of: try scan(root: root, operation: "cannot digest tree \(root)", cache: &cache, tolerant: false))
    }

    /// The digest of a tree whose owners were moved by `owners` as it was
    /// copied: the digest the tree had at its source, ids put back
    /// (``OwnerRangeMap/original(_:)``).
    public static func digest(root: String, cache: inout DigestCache?, owners: OwnerRangeMap) throws -> TreeDigest {
        var scanned = try scan(root: root, operation: "cannot digest tree \(root)", cache: &cache, tolerant: false)
        for i in scanned.indices {
            scanned[i].uid = owners.original(scanned[i].uid)
            scanned[i].gid = owners.original(scanned[i].gid)
        }
        return digest(of: scanned)
    }

    /// Fills `cache` for a tree that may still be changing (a running
    /// guest's layer): a file that changes while it is read is left out
    /// instead of failing. Hashes what the cache lacks, so that a digest
    /// taken later, once the tree is still, hashes only what changed since.
    public static func prehash(root: String, cache: inout DigestCache) throws {
        var c: DigestCache? = cache
        _ = try scan(root: root, operation: "cannot hash tree \(root)", cache: &c, tolerant: true)
        cache = c ?? cache
    }

    /// Every entry below `root`, sorted by path bytewise.
    public static func entries(root: String) throws -> [TreeEntry] {
        var none: DigestCache?
        return try scan(root: root, operation: "cannot list tree \(root)", cache: &none, tolerant: false).map(\.treeEntry)
    }

    package static func scan(root: String, operation: String, cache: inout DigestCache?, tolerant: Bool,
                             threads: Int = ParallelTreeWalk.defaultThreads) throws -> [ScannedEntry] {
        do {
            let rootDirectory = try Posix.openRoot(root)
            // Every thread of the walk reads the cache; what they hash is
            // recorded into it after the walk. Moved into the box, not
            // copied: recording then changes the only copy of the table.
            let known = DigestCacheSnapshot(cache)
            cache = nil
            let states: [DigestWalkState]
            do {
                states = try ParallelTreeWalk.walk(
                    root: rootDirectory.raw, threads: threads, skipVanished: tolerant, makeState: { DigestWalkState() },
                    visit: { state, walked in
                        do {
                            try describe(walked, known: known.cache, into: &state)
                        } catch let problem as TreeProblem where tolerant {
                            // Changing under us (a running guest): not cached, not fatal.
                            _ = problem
                        }
                    },
                    finish: { state in state.entries.sort { PathOrder.precedes($0.path, $1.path) } })
            } catch {
                cache = known.take()
                throw error
            }
            cache = known.take()
            // Files of the tree whose entry is in the cache after the walk:
            // when that is every entry of the cache, it holds none for a path
            // gone from the tree, and no set of the tree's paths need be made
            // to find them (two hashes of every path: a tenth of a digest of
            // 50,000 cached files).
            var cachedFiles = 0
            for state in states {
                cachedFiles += state.cachedFiles
                for hashed in state.hashed where cache?.record(hashed.path, before: hashed.before, after: hashed.after, digest: hashed.digest) == true {
                    cachedFiles += 1
                }
            }
            let scanned = SortedMerge.merge(states.map(\.entries)) { PathOrder.precedes($0.path, $1.path) }
            if let count = cache?.count, count > cachedFiles {
                cache?.retain(Set(scanned.map(\.path)))
            }
            return scanned
        } catch let problem as TreeProblem {
            throw TreeError(operation: operation, problem)
        }
    }

    private static func describe(_ walked: WalkedEntry, known: DigestCache?, into state: inout DigestWalkState) throws {
        let status = walked.status
        guard let kind = Posix.kind(ofMode: status.st_mode) else {
            throw TreeProblem(
                path: walked.displayPath,
                problem: "\"\(walked.displayPath)\" has an unknown file type (mode \(String(status.st_mode, radix: 8)))",
                remedy: "remove it from the tree"
            )
        }
        var entry = ScannedEntry(
            path: walked.path, kind: kind, mode: status.st_mode & 0o7777,
            uid: status.st_uid, gid: status.st_gid, size: 0
        )
        switch kind {
        case .file:
            if let digest = known?.digest(for: walked.path, status: status) {
                entry.contentDigest = digest
                entry.size = UInt64(status.st_size)
                state.cachedFiles += 1
            } else {
                let (digest, size, after) = try hashFile(walked, contentHasher: state.contentHasher)
                entry.contentDigest = digest
                entry.size = size
                if known != nil { state.hashed.append(HashedFile(path: walked.path, before: status, after: after, digest: digest)) }
            }
        case .symlink:
            entry.linkTarget = try Posix.readLink(at: walked.parentFD, name: walked.name, displayPath: walked.displayPath)
        case .charDevice, .blockDevice:
            entry.device = Posix.deviceNumbers(UInt64(status.st_rdev))
        case .socket:
            return
        case .directory, .fifo:
            break
        }
        state.entries.append(entry)
    }

    /// The content digest, the size, and the file's status after reading.
    private static func hashFile(_ walked: WalkedEntry, contentHasher: FileContentHasher) throws -> (String, UInt64, stat) {
        let file = try Posix.openFileForReading(at: walked.parentFD, name: walked.name, displayPath: walked.displayPath)
        let opened = try Posix.status(of: file.raw, displayPath: walked.displayPath)
        let result = try contentHasher.digest(of: file.raw, displayPath: walked.displayPath)
        // A file replaced or rewritten mid-walk would give a digest of a tree
        // that never existed; refuse instead of returning it.
        let unchanged = opened.st_dev == walked.status.st_dev && opened.st_ino == walked.status.st_ino
            && UInt64(opened.st_size) == result.bytes
        guard unchanged else {
            throw TreeProblem(
                path: walked.displayPath,
                problem: "file \"\(walked.displayPath)\" changed while it was being hashed",
                remedy: "stop whatever is modifying the tree and retry"
            )
        }
        let after = try Posix.status(of: file.raw, displayPath: walked.displayPath)
        return (result.digest, result.bytes, after)
    }
}

/// What one thread of a digest's walk found.
private struct DigestWalkState {
    var entries: [ScannedEntry] = []
    /// Files whose digest came from the cache.
    var cachedFiles = 0
    /// Files read, to be recorded in the cache after the walk.
    var hashed: [HashedFile] = []
    let contentHasher = FileContentHasher()
}

/// A file a digest's walk read: its digest and its status before and after.
private struct HashedFile {
    let path: [UInt8]
    let before: stat
    let after: stat
    let digest: String
}

/// The digest cache, read by every thread of a walk and changed by none.
private final class DigestCacheSnapshot: @unchecked Sendable {
    private(set) var cache: DigestCache?

    init(_ cache: DigestCache?) { self.cache = cache }

    /// The cache back, with this box holding no copy of it.
    func take() -> DigestCache? {
        defer { cache = nil }
        return cache
    }
}
