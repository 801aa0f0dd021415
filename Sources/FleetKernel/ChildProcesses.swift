import CFleetShim
import Glibc

/// Reaping and subreaping for the agent's own children.
public enum ChildProcesses {
    /// Reaps `pid` if it is our child and has exited; true when it is gone.
    @discardableResult
    public static func reapIfExited(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        return vf_try_wait(pid, &status) == 1
    }

    public static func waitStatus(_ pid: pid_t) -> Int32 { vf_wait_status(pid) }

    /// A pipe whose ends are closed on exec: (read, write).
    public static func cloexecPipe() throws(KernelError) -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        guard vf_pipe_cloexec(&fds) == 0 else { throw .current("create", "a pipe") }
        return (fds[0], fds[1])
    }

    public static func becomeSubreaper() -> Bool { vf_set_subreaper() == 0 }
}
