import Glibc

/// Makes `destination` a copy of the tree at `source` that shares every
/// non-directory with it by hard links: directories are new (same owner,
/// mode, xattrs and time), files, symlinks and nodes are the same inodes.
/// It costs a walk and a link per name, not a byte of data.
///
/// Such a copy is safe to change only by replacing names, never by writing
/// into a file: a write would change both trees. ``TreeStreamReader`` is
/// such a writer (every file, link and node is built under a temporary
/// name and renamed over the old one; only directories, which are not
/// shared, are changed in place), which is what a replica's next point
/// relies on.
///
/// Linking (and unlinking the names of an older copy) changes an inode's
/// ctime, so a digest cache of `source` would no longer trust any file of
/// either tree. Entries of `cache` whose inode, size and mtime are still
/// the source file's are carried over to the new name with the status
/// after the link: the same inode, unwritten, still has that content.
public enum TreeLinkCloner {
    public static func clone(from source: String, to destination: String, cache: inout DigestCache?) throws {
        let operation = "cannot clone tree \(source) to \(destination)"
        do {
            let from = try Posix.openRoot(source)
            let rootStatus = try Posix.status(of: from.raw, displayPath: ".")
            if mkdir(destination, 0o700) != 0 { throw TreeProblem.system("mkdir", on: destination, errno: errno) }
            let to = try Posix.openRoot(destination)
            var carried = DigestCache(hashedAt: cache?.hashedAt ?? 0)
            var linkedDigests: [InodeKey: String] = [:]
            try cloneContents(of: from.raw, into: to.raw, path: [], cache: cache, carried: &carried, linked: &linkedDigests)
            try copyDirectoryMetadata(from: from.raw, to: to.raw, status: rootStatus, display: ".")
            if cache != nil { cache = carried }
        } catch let problem as TreeProblem {
            throw TreeError(operation: operation, problem)
        }
    }

    private static func cloneContents(of source: Int32, into destination: Int32, path: [UInt8], cache: DigestCache?,
                                      carried: inout DigestCache, linked: inout [InodeKey: String]) throws {
        for name in try Posix.entryNames(ofDirectory: source, displayPath: path.isEmpty ? "." : Posix.display(path)) {
            let childPath = path.isEmpty ? name : path + [UInt8(ascii: "/")] + name
            let display = Posix.display(childPath)
            let status = try Posix.status(at: source, name: name, displayPath: display)
            if status.st_mode & S_IFMT == S_IFDIR {
                let from = try Posix.openDirectory(at: source, name: name, displayPath: display)
                let opened = try Posix.status(of: from.raw, displayPath: display)
                guard opened.st_dev == status.st_dev && opened.st_ino == status.st_ino else {
                    throw TreeProblem(path: display, problem: "directory \"\(display)\" was replaced while the tree was cloned",
                                      remedy: "nothing but the agent may change a replica's point; retry the sync")
                }
                if Posix.withCString(name, { mkdirat(destination, $0, 0o700) }) != 0 {
                    throw TreeProblem.system("mkdir", on: display, errno: errno)
                }
                let to = try Posix.openDirectory(at: destination, name: name, displayPath: display)
                try cloneContents(of: from.raw, into: to.raw, path: childPath, cache: cache, carried: &carried, linked: &linked)
                try copyDirectoryMetadata(from: from.raw, to: to.raw, status: status, display: display)
                continue
            }
            let key = InodeKey(status)
            // Looked up before the link changes the inode's ctime; a second
            // name of an inode linked already takes the first one's digest.
            let known = status.st_mode & S_IFMT == S_IFREG ? (linked[key] ?? cache.flatMap { unwrittenDigest($0, childPath, status) }) : nil
            let rc = Posix.withCString(name) { cName in linkat(source, cName, destination, cName, 0) }
            if rc != 0 { throw TreeProblem.system("link", on: display, errno: errno) }
            if let known {
                linked[key] = known
                carried.recordWritten(childPath, status: try Posix.status(at: destination, name: name, displayPath: display), digest: known)
            }
        }
    }

    /// The cached digest of a file whose inode, size and modification time
    /// are the cache's: its ctime is not compared. In a replica's point
    /// only links change it (this clone's, and the unlinks that remove the
    /// point before), never a write: the agent alone writes there, and
    /// only by replacing names. Elsewhere the ctime check must stay.
    private static func unwrittenDigest(_ cache: DigestCache, _ path: [UInt8], _ status: stat) -> String? {
        guard let e = cache.entries[path] else { return nil }
        let now = DigestCache.Identity(status)
        guard e.identity.device == now.device, e.identity.inode == now.inode, e.identity.size == now.size,
              e.identity.mtime == now.mtime, e.identity.mtimeNs == now.mtimeNs else { return nil }
        return e.digest
    }

    /// A new directory gets the source's xattrs (overlay's opaque mark
    /// among them), owner, mode and time, the time last.
    private static func copyDirectoryMetadata(from source: Int32, to destination: Int32, status: stat, display: String) throws {
        let attributes = try TreeStreamXattrs.read(.descriptor(source), displayPath: display)
        if !attributes.isEmpty {
            try TreeStreamXattrs.replace(on: .descriptor(destination), with: attributes, existingMayBeNonEmpty: false, displayPath: display)
        }
        try Posix.applyMetadata(to: destination, uid: status.st_uid, gid: status.st_gid, mode: status.st_mode, modified: status.st_mtim,
                                displayPath: display)
    }
}
