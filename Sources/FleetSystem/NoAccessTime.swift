import CFleetSystem
import Glibc

/// Opening a file to copy, send or hash it without updating its access
/// time (O_NOATIME).
///
/// Such a read is not the guest's access. And with the default `relatime`
/// the first read of every file written or moved since its last read
/// updates its atime: an inode dirtied and a journal write per file, which
/// on a 50,052-file move was the sending agent's work for every file.
public enum NoAccessTime {
    public static let flag: Int32 = fleet_noatime_flag()

    /// `open` with `flags | O_NOATIME`; when the kernel refuses that flag
    /// (EPERM: the caller neither owns the file nor has CAP_FOWNER), once
    /// more with `flags` alone: the read matters more than the atime.
    public static func open(_ attempt: (Int32) -> Int32, flags: Int32) -> Int32 {
        let fd = attempt(flags | flag)
        if fd < 0 && errno == EPERM { return attempt(flags) }
        return fd
    }
}
