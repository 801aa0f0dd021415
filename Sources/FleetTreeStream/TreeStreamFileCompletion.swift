import FleetTree
import Glibc

/// What follows a regular file's data, the same on the applier's thread and
/// on its writer threads: size, write-back, digest, owner, mode, attributes
/// and time.
enum TreeStreamFileCompletion {
    /// Files at least this large have their write-back started as soon as
    /// they are written. Smaller ones are left to the final sync, which
    /// writes them in one batch: for 50,000 files of a few bytes the call
    /// per file cost a sixth of the receiver's CPU, and the disk write it
    /// starts carries one page.
    static let earlyWriteBackMinimum: UInt64 = 16 << 10

    /// `fd` is the new file, its data written up to `dataEnd`. Returns its
    /// digest (when `hasher` is set) and, with `statusAfter`, its status
    /// once complete (final for a file built under its own name: a rename
    /// would change its ctime).
    static func complete(
        _ fd: Int32, header: TreeStreamEntryHeader, size: UInt64, dataEnd: UInt64, hasher: FileContentHasher?,
        statusAfter: Bool
    ) throws -> (digest: String?, status: stat?) {
        // The file is new and empty: only a hole at its end (data that ends
        // before its size) needs a truncate to the size, not every file.
        if dataEnd < size, ftruncate(fd, off_t(size)) != 0 {
            throw TreeProblem.system("truncate", on: header.display, errno: errno)
        }
        // The disk starts on this file while the stream goes on: the sync
        // that makes the staged copy durable then waits for what is left,
        // not for the whole layer (200 MB in 5,000 files: that sync took
        // 0.2 s after the stream).
        if size >= earlyWriteBackMinimum { Posix.startWriteBack(fd) }
        // Hashed from what landed in the file (still in the page cache), not
        // from the stream: the verification then covers these writes too.
        let digest = try hasher?.digest(of: fd, displayPath: header.display).digest
        // Owner first (chown clears setuid/setgid and file capabilities),
        // then mode, attributes, and the time last.
        try TreeStreamSystemCalls.setOwner(of: fd, uid: header.uid, gid: header.gid, displayPath: header.display)
        try TreeStreamSystemCalls.setMode(of: fd, header.mode, displayPath: header.display)
        try TreeStreamXattrs.replace(
            on: .descriptor(fd), with: header.attributes, existingMayBeNonEmpty: true, displayPath: header.display)
        try TreeStreamSystemCalls.setModifiedTime(of: fd, header.modified, displayPath: header.display)
        let status = statusAfter && digest != nil ? try Posix.status(of: fd, displayPath: header.display) : nil
        return (digest, status)
    }
}
