import Glibc

/// A tree's digest from a scan already made, in two halves, so that a
/// replica's freeze walks the layer once (docs/ARCHITECTURE.md, replicas):
/// ``entries(of:root:cache:)`` needs the tree still (it trusts the scan's
/// `lstat`s and reads files the cache cannot vouch for), ``digest(of:)``
/// does not (it only hashes the records) and runs after the thaw.
///
/// The result is ``TreeDigester/digest(root:)`` of the tree as scanned, in
/// the same canonical format (neither has a record for a socket).
extension TreeDigester {
    /// The digest's entries for `nodes` (``TreeScanner``'s scan of `root`,
    /// sorted by path bytes). A file's content digest comes from the scan's
    /// own lookup in the cache (``ScannedNode/contentDigest``) or from
    /// `cache` when its entry matches the file's scanned identity (device,
    /// inode, size, mtime, ctime: see ``DigestCache``), else from reading
    /// it, which is recorded in `cache`. The tree must not change between the scan and
    /// this call; a file found replaced or resized throws.
    package static func entries(of nodes: [ScannedNode], root: String, cache: inout DigestCache?) throws -> [ScannedEntry] {
        do {
            let rootDirectory = try Posix.openRoot(root)
            let reader = ScannedFileReader(root: rootDirectory.raw)
            var entries: [ScannedEntry] = []
            entries.reserveCapacity(nodes.count)
            for node in nodes {
                var entry = ScannedEntry(path: node.path, kind: node.kind, mode: node.mode, uid: node.uid, gid: node.gid, size: 0)
                switch node.kind {
                case .file:
                    entry.size = node.size
                    if let known = node.contentDigest ?? cache?.digest(for: node.path, status: node.status) {
                        entry.contentDigest = known
                    } else {
                        let (digest, after) = try reader.hash(node)
                        entry.contentDigest = digest
                        cache?.record(node.path, before: node.status, after: after, digest: digest)
                    }
                case .symlink:
                    entry.linkTarget = node.linkTarget ?? []
                case .charDevice, .blockDevice:
                    entry.device = Posix.deviceNumbers(UInt64(node.status.st_rdev))
                case .directory, .fifo, .socket:
                    break
                }
                entries.append(entry)
            }
            return entries
        } catch let problem as TreeProblem {
            throw TreeError(operation: "cannot digest tree \(root)", problem)
        }
    }

    /// The digest of `entries` (sorted by path bytes): the canonical records
    /// of ``TreeDigester`` hashed in order, written into one reused buffer
    /// rather than one array per record.
    package static func digest(of entries: [ScannedEntry]) -> TreeDigest {
        var hasher = SHA256Hasher()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(Self.recordBatchBytes + 4096)
        var totalBytes: UInt64 = 0
        // Each entry read in place: a loop over copies retained and released
        // its path and digest (a few percent of a digest of 50,000 cached files).
        entries.withUnsafeBufferPointer { entries in
            for index in entries.indices {
                entries[index].appendCanonicalRecord(to: &buffer)
                if entries[index].kind == .file { totalBytes += entries[index].size }
                if buffer.count >= Self.recordBatchBytes {
                    buffer.withUnsafeBytes { hasher.update($0) }
                    buffer.removeAll(keepingCapacity: true)
                }
            }
        }
        buffer.withUnsafeBytes { hasher.update($0) }
        return TreeDigest(digest: hasher.finalizeHex(), fileCount: entries.count, totalBytes: totalBytes)
    }

    /// How many record bytes go to SHA-256 at once.
    private static var recordBatchBytes: Int { 64 << 10 }
}

/// Opens and hashes the files of a scan that the digest cache cannot vouch
/// for, walking from the root one component at a time without following a
/// symlink (as ``TreeWalker`` does), and keeping the last parent open for its
/// siblings.
private final class ScannedFileReader {
    private let root: Int32
    private let contentHasher = FileContentHasher()
    private var parentPath: [UInt8]?
    private var parentFD: Int32 = -1

    init(root: Int32) { self.root = root }

    deinit {
        if parentFD >= 0 { close(parentFD) }
    }

    /// The content digest of `node`'s file and its status after reading.
    func hash(_ node: ScannedNode) throws -> (String, stat) {
        let display = Posix.display(node.path)
        let components = MemberPath.split(node.path)
        guard let name = components.last else {
            throw TreeProblem(path: display, problem: "a scanned file has an empty path", remedy: "report this as a bug")
        }
        let directory = try parentDirectory(of: components.dropLast())
        let file = try Posix.openFileForReading(at: directory, name: name, displayPath: display)
        let opened = try Posix.status(of: file.raw, displayPath: display)
        let result = try contentHasher.digest(of: file.raw, displayPath: display)
        // The digest must describe the tree as scanned: a file replaced or
        // resized since the scan means the tree was not still.
        guard opened.st_dev == node.status.st_dev && opened.st_ino == node.status.st_ino && result.bytes == node.size else {
            throw TreeProblem(
                path: display,
                problem: "file \"\(display)\" changed between the scan and its hashing",
                remedy: "stop whatever is modifying the tree and retry")
        }
        return (result.digest, try Posix.status(of: file.raw, displayPath: display))
    }

    private func parentDirectory(of components: ArraySlice<[UInt8]>) throws -> Int32 {
        if components.isEmpty { return root }
        let path = Array(components.joined(separator: [0x2f]))
        if path == parentPath && parentFD >= 0 { return parentFD }
        if parentFD >= 0 { close(parentFD) }
        parentFD = -1
        parentPath = nil
        var current: Int32 = -1
        var walked: [UInt8] = []
        for component in components {
            walked += walked.isEmpty ? component : [0x2f] + component
            let next = Posix.withCString(component) { openat(current >= 0 ? current : root, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            let code = errno
            if current >= 0 { close(current) }
            if next < 0 { throw TreeProblem.system("open directory", on: Posix.display(walked), errno: code) }
            current = next
        }
        parentFD = current
        parentPath = path
        return current
    }
}
