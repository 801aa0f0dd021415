import Glibc

/// The xattr digests an earlier scan of the same tree read, for a later
/// scan to reuse instead of reading them again (a replica sync's frozen
/// scan: reading an entry's attributes goes through `/proc/self/fd`, a
/// path walk per entry, and is most of what a freeze of a many-file guest
/// costs).
///
/// Reused only for an entry whose device, inode and ctime are the ones the
/// earlier scan saw, when that ctime was older than the earlier scan's start
/// by more than ``racyWindow``: setting or removing an attribute changes the
/// ctime to the time of the change, which user space cannot set back, so an
/// unchanged old ctime means no attribute changed since it was read. A ctime
/// close to the earlier scan could be shared with a change made just after
/// the read (the kernel's clock for ctime is coarse), so such entries are
/// read again.
package struct XattrReuse {
    /// Seconds a ctime must be older than the earlier scan's start.
    package static let racyWindow = 0.1

    private struct Seen {
        var device: UInt64
        var inode: UInt64
        var ctime: timespec
        var digest: String?
    }

    private var seen: [[UInt8]: Seen] = [:]

    /// From `nodes`, a scan that read every entry's attributes (no
    /// `exceptSingleLinkFiles`), begun at `scanStarted` (CLOCK_REALTIME).
    package init(nodes: [ScannedNode], scanStarted: timespec) {
        let limit = Double(scanStarted.tv_sec) + Double(scanStarted.tv_nsec) / 1e9 - Self.racyWindow
        seen.reserveCapacity(nodes.count)
        for node in nodes {
            let ctime = node.status.st_ctim
            guard Double(ctime.tv_sec) + Double(ctime.tv_nsec) / 1e9 < limit else { continue }
            seen[node.path] = Seen(device: node.device, inode: node.inode, ctime: ctime, digest: node.xattrDigest)
        }
    }

    /// The earlier digest of the entry at `path` now `status`, if it may be reused
    /// (the outer optional: whether it may; the inner: the digest, nil for none).
    package func digest(for path: [UInt8], status: stat) -> String?? {
        guard let known = seen[path], known.device == UInt64(status.st_dev), known.inode == UInt64(status.st_ino),
              known.ctime.tv_sec == status.st_ctim.tv_sec, known.ctime.tv_nsec == status.st_ctim.tv_nsec else { return nil }
        return .some(known.digest)
    }

    /// The current time for `init(nodes:scanStarted:)`.
    package static func now() -> timespec {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return t
    }

    package var count: Int { seen.count }
}
