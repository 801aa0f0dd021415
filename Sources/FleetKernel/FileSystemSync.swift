import CFleetShim
import Glibc

/// Writes back a file system's dirty data (syncfs(2)).
public enum FileSystemSync {
    /// Best effort: a file system that cannot sync only leaves the work to
    /// a later fsync.
    public static func sync(containing path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = vf_syncfs(fd)
    }
}
