import Foundation

/// A child started with posix_spawn and reaped only by us (the SSH and
/// etcd tests' servers).
///
/// Not Foundation's Process: it notices a child's exit through a socket the
/// child inherits, and sshd closes every inherited descriptor at startup, so
/// Process believes sshd exited and blocks its monitor thread in waitpid
/// until sshd really does, starving every other Process in the test run.
public final class ChildProcess {
    public let pid: pid_t
    private var status: Int32?

    /// Starts `executable` with stdin from /dev/null and stdout/stderr
    /// appended to the given files.
    public init(_ executable: String, _ arguments: [String], stdout: String, stderr: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, nil, argv, environ)
        guard rc == 0 else { throw FixtureError("posix_spawn \(executable): \(String(cString: strerror(rc)))") }
        pid = child
    }

    /// Whether the child has exited (reaps it if so); never blocks.
    public var hasExited: Bool {
        if status != nil { return true }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
        return status != nil
    }

    /// Waits for the child; returns its exit code (128 + signal if killed).
    @discardableResult
    public func wait() -> Int32 {
        while status == nil {
            var raw: Int32 = 0
            let rc = waitpid(pid, &raw, 0)
            if rc == pid { status = raw } else if errno != EINTR { status = 0x7f00 }
        }
        let raw = status ?? 0
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }

    /// SIGKILL now (a crash, not a shutdown), then reap. Only this pid.
    public func killNow() {
        guard !hasExited else { return }
        kill(pid, SIGKILL)
        wait()
    }

    /// SIGTERM, then SIGKILL after `grace` seconds, then reap. Only this pid.
    public func terminate(grace: Double = 3) {
        guard !hasExited else { return }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .milliseconds(Int(grace * 1000))
        while !hasExited, ContinuousClock.now < deadline { usleep(20_000) }
        if !hasExited { kill(pid, SIGKILL) }
        wait()
    }
}
