import CFleetShim
import FleetSystem
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

    /// Waits for our child `pid` until `deadline` (Monotonic seconds); past
    /// it the child is killed (SIGKILL) and reaped. Returns its exit status
    /// (128+N for signal N) and whether it had to be killed. For a helper
    /// that runs something in a guest: what a guest runs decides how long
    /// it takes, so nobody waits on it without an end.
    public static func waitStatus(_ pid: pid_t, until deadline: Double) -> (status: Int32, killed: Bool) {
        var pause: UInt32 = 1_000
        while Monotonic.now < deadline {
            var status: Int32 = 0
            switch vf_try_wait(pid, &status) {
            case 1: return (status, false)
            case -1 where errno != EINTR: return (-1, false)
            default: break
            }
            usleep(min(pause, UInt32(max(0, deadline - Monotonic.now) * 1e6) + 1))
            pause = min(pause * 2, 20_000)
        }
        kill(pid, SIGKILL)
        return (vf_wait_status(pid), true)
    }

    /// A pipe whose ends are closed on exec: (read, write).
    public static func cloexecPipe() throws(KernelError) -> (Int32, Int32) {
        guard let pipe = CloexecPipe.make() else { throw .current("create", "a pipe") }
        return pipe
    }

    public static func becomeSubreaper() -> Bool { vf_set_subreaper() == 0 }
}
