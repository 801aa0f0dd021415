import CFleetShim
import FleetSystem
import Glibc

/// A guest's console: a pseudo-terminal whose slave is the guest's
/// /dev/console and its init's stdout and stderr, as on a real machine.
/// A small detached logger copies everything written to it to the console
/// log. A regular file there instead would be written at offset 0 by every
/// process that opens /dev/console itself (inits do), each over the others.
public final class GuestConsole {
    let master: Int32
    let slave: Int32
    /// The slave's path on the host (/dev/pts/N), bound onto /dev/console.
    let slavePath: String

    /// Opens the pair in raw mode; the slave belongs to `owner` (a user
    /// namespace guest's root) so that the guest can open /dev/console.
    init(owner: UInt32?) throws(KernelError) {
        var name = [CChar](repeating: 0, count: 128)
        var s: Int32 = -1
        let m = vf_console_open(&name, name.count, &s, owner.map { Int64($0) } ?? -1)
        guard m >= 0 else {
            throw KernelError("open a pseudo-terminal for", "the guest's console", errno: -m, hint: "is /dev/pts mounted, with ptys left (kernel.pty.max)?")
        }
        master = m
        slave = s
        slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Starts the logger, appending to `logFD` (open on `path`), rotated at `cap`. Once this object is gone,
    /// only the guest and the logger hold the pair.
    /// Returns the logger's pid.
    func startLogging(to logFD: Int32, path: String, cap: ConsoleLogCap, initPid: pid_t) throws(KernelError) -> pid_t {
        let r = path.withCString { vf_console_logger(master, slave, logFD, initPid, $0, Int64(cap.bytes), Int32(cap.files)) }
        if r <= 0 { throw KernelError("start the console logger for", slavePath, errno: -r) }
        return r
    }

    /// Waits (up to `seconds`) for a logger to write its last lines and end
    /// once its guest's init has; `startTicks` tells it from a later process
    /// with the same pid.
    public static func waitForLogger(pid: pid_t, startTicks: UInt64, seconds: Double = 2) {
        let deadline = Monotonic.now + seconds
        // A zombie has written all it will: its parent (often PID 1) reaps it in its own time.
        while ProcessFacts.startTicks(pid) == startTicks && ProcessFacts.state(pid) != "Z" && Monotonic.now < deadline {
            usleep(2_000)
        }
    }

    deinit {
        close(master)
        close(slave)
    }
}
