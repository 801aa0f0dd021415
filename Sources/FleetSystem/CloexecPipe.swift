import CFleetSystem
import Glibc

/// pipe2(O_CLOEXEC), which Swift's Glibc module does not show: a child that
/// another thread starts meanwhile inherits neither end.
public enum CloexecPipe {
    /// (read, write), or nil with `errno` set.
    public static func make() -> (read: Int32, write: Int32)? {
        var fds: [Int32] = [-1, -1]
        guard fleet_pipe_cloexec(&fds) == 0 else { return nil }
        return (fds[0], fds[1])
    }
}
