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
///   `fifo`, `socket`, `charDevice` or `blockDevice`.
/// - `mode`: `st_mode & 0o7777` as four octal digits, e.g. `0755`, `4755`
///   (symlinks record what `lstat` reports, `0777` on Linux).
/// - `uid`, `gid`: decimal numeric ids.
/// - `detail`: for a regular file the lowercase hex SHA-256 of its content;
///   for a symlink its target bytes, escaped like `path`; for a device
///   `major,minor` in decimal; empty for directories, FIFOs and sockets.
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
        let scanned = try scan(root: root, operation: "cannot digest tree \(root)")
        var hasher = SHA256Hasher()
        var totalBytes: UInt64 = 0
        for entry in scanned {
            hasher.update(entry.canonicalRecord)
            if entry.kind == .file { totalBytes += entry.size }
        }
        return TreeDigest(digest: hasher.finalizeHex(), fileCount: scanned.count, totalBytes: totalBytes)
    }

    /// Every entry below `root`, sorted by path bytewise.
    public static func entries(root: String) throws -> [TreeEntry] {
        try scan(root: root, operation: "cannot list tree \(root)").map(\.treeEntry)
    }

    static func scan(root: String, operation: String) throws -> [ScannedEntry] {
        do {
            let rootDirectory = try Posix.openRoot(root)
            let contentHasher = FileContentHasher()
            var scanned: [ScannedEntry] = []
            try TreeWalker.walk(root: rootDirectory.raw) { walked in
                scanned.append(try describe(walked, contentHasher: contentHasher))
            }
            scanned.sort { $0.path.lexicographicallyPrecedes($1.path) }
            return scanned
        } catch let problem as TreeProblem {
            throw TreeError(operation: operation, problem)
        }
    }

    private static func describe(_ walked: WalkedEntry, contentHasher: FileContentHasher) throws -> ScannedEntry {
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
            let (digest, size) = try hashFile(walked, contentHasher: contentHasher)
            entry.contentDigest = digest
            entry.size = size
        case .symlink:
            entry.linkTarget = try Posix.readLink(at: walked.parentFD, name: walked.name, displayPath: walked.displayPath)
        case .charDevice, .blockDevice:
            entry.device = Posix.deviceNumbers(UInt64(status.st_rdev))
        case .directory, .fifo, .socket:
            break
        }
        return entry
    }

    private static func hashFile(_ walked: WalkedEntry, contentHasher: FileContentHasher) throws -> (String, UInt64) {
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
        return result
    }
}
