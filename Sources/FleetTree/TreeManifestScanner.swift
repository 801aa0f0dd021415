import Glibc

/// One entry found by ``TreeScanner``: its manifest fields with the path and
/// link target as exact bytes, plus the inode identity used to find hard links.
package struct ScannedNode {
    package var path: [UInt8]
    package var kind: TreeEntryKind
    package var mode: UInt32
    package var uid: UInt32
    package var gid: UInt32
    package var size: UInt64
    package var modified: timespec
    package var linkTarget: [UInt8]?
    package var deviceNumbers: (major: UInt32, minor: UInt32)?
    package var xattrDigest: String?
    package var device: UInt64
    package var inode: UInt64
    package var linkCount: UInt64
    /// The whole `lstat`, for a digest taken from this scan (the digest
    /// cache trusts a file by its device, inode, size, mtime and ctime).
    package var status: stat
    /// A file's content digest from the digest cache the scan was given,
    /// when the cache vouches for the file as this `lstat` found it.
    package var contentDigest: String?

    package init(path: [UInt8], kind: TreeEntryKind, status: stat) {
        self.path = path
        self.status = status
        self.kind = kind
        mode = status.st_mode & 0o7777
        uid = status.st_uid
        gid = status.st_gid
        size = kind == .file ? UInt64(status.st_size) : 0
        modified = status.st_mtim
        if kind == .charDevice || kind == .blockDevice {
            let numbers = Posix.deviceNumbers(UInt64(status.st_rdev))
            deviceNumbers = (UInt32(truncatingIfNeeded: numbers.major), UInt32(truncatingIfNeeded: numbers.minor))
        }
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
        linkCount = UInt64(status.st_nlink)
    }

    package var manifestEntry: TreeManifestEntry {
        TreeManifestEntry(
            path: ManifestText.encode(path), kind: kind, mode: mode, uid: uid, gid: gid, size: size,
            mtimeSeconds: Int64(modified.tv_sec), mtimeNanoseconds: Int32(truncatingIfNeeded: modified.tv_nsec),
            linkTarget: linkTarget.map(ManifestText.encode),
            deviceMajor: deviceNumbers?.major, deviceMinor: deviceNumbers?.minor,
            xattrDigest: xattrDigest)
    }
}

/// The `lstat` walk behind ``TreeManifest`` and ``TreeStreamWriter``: never
/// follows a symlink (every step is relative to the parent's descriptor),
/// leaves sockets out, and skips entries that vanish or change type while it
/// runs, because the tree may belong to a running guest.
package enum TreeScanner {
    /// Every entry below `root`, sorted by path bytes (so a directory always
    /// comes before its content). With `exceptSingleLinkFiles`, regular files
    /// with one name get no xattr digest: a full stream reads their
    /// attributes from the descriptor it sends them from, and fills it in
    /// (reading them here goes through `/proc/self/fd`, a path walk per
    /// file: a third of the sender's CPU for 50,000 small files).
    /// With `reuse`, an entry an earlier scan saw unchanged keeps the xattr
    /// digest read then (``XattrReuse`` says when that is safe). With
    /// `digests`, a file the cache vouches for gets its content digest
    /// (``ScannedNode/contentDigest``), looked up by the walk's threads: a
    /// digest taken from the scan then has no lookups left to make alone.
    package static func scan(root: Int32, includeXattrDigests: Bool, exceptSingleLinkFiles: Bool = false,
                             reuse: XattrReuse? = nil, digests: DigestCache? = nil,
                             threads: Int = ParallelTreeWalk.defaultThreads) throws -> [ScannedNode] {
        let options = XattrOptions(include: includeXattrDigests, exceptSingleLinkFiles: exceptSingleLinkFiles, reuse: reuse)
        // Read by every thread, changed by none.
        let known = digests
        // The scan is most of a delta's time at the source, and comes before
        // the first byte of a full stream: its threads share the tree out.
        let parts = try ParallelTreeWalk.walk(
            root: root, threads: threads, skipVanished: true, makeState: { [ScannedNode]() },
            visit: { nodes, walked in
                if var node = try describe(walked, xattrs: options) {
                    if node.kind == .file, let known { node.contentDigest = known.digest(for: walked.path, status: walked.status) }
                    nodes.append(node)
                }
            },
            finish: { nodes in nodes.sort { PathOrder.precedes($0.path, $1.path) } })
        return SortedMerge.merge(parts) { PathOrder.precedes($0.path, $1.path) }
    }

    /// Whether a failed call means the entry went away or was swapped for
    /// something else while we looked, which a live tree is allowed to do.
    package static func vanished(_ problem: TreeProblem) -> Bool {
        guard let code = problem.errnoCode else { return false }
        return code == ENOENT || code == ENOTDIR || code == ELOOP
    }

    private struct XattrOptions {
        var include: Bool
        var exceptSingleLinkFiles: Bool
        var reuse: XattrReuse?
    }

    /// The node for one entry the walk met; nil for a socket, or a symlink
    /// that is no longer one.
    private static func describe(_ walked: WalkedEntry, xattrs: XattrOptions) throws -> ScannedNode? {
        let status = walked.status
        guard let kind = Posix.kind(ofMode: status.st_mode), kind != .socket else { return nil }
        var node = ScannedNode(path: walked.path, kind: kind, status: status)
        switch kind {
        case .symlink:
            do {
                node.linkTarget = try Posix.readLink(at: walked.parentFD, name: walked.name, displayPath: walked.displayPath)
            } catch let problem as TreeProblem where problem.errnoCode == EINVAL {
                return nil  // no longer a symlink
            }
        case .directory:
            if xattrs.include {
                if let known = xattrs.reuse?.digest(for: walked.path, status: status) {
                    node.xattrDigest = known
                } else {
                    node.xattrDigest = TreeStreamXattrs.digest(
                        try TreeStreamXattrs.read(.descriptor(walked.directoryFD), displayPath: walked.displayPath))
                }
            }
            return node
        default:
            break
        }
        if xattrs.include && !(xattrs.exceptSingleLinkFiles && kind == .file && status.st_nlink == 1) {
            if let known = xattrs.reuse?.digest(for: walked.path, status: status) {
                node.xattrDigest = known
            } else {
                node.xattrDigest = TreeStreamXattrs.digest(
                    try TreeStreamXattrs.read(.entry(parent: walked.parentFD, name: walked.name), displayPath: walked.displayPath))
            }
        }
        return node
    }
}
