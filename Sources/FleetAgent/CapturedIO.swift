import FleetKernel
import FleetSystem
import Foundation
import Glibc

/// Pipes for a command whose output is returned rather than shown: feeds
/// stdin, drains stdout and stderr together (poll, so neither can fill up
/// and block the other), and enforces a timeout.
final class CapturedIO {
    private var fds: [Int32] = []
    let childStdin: Int32, parentStdin: Int32
    let childStdout: Int32, parentStdout: Int32
    let childStderr: Int32, parentStderr: Int32

    /// Output beyond this is dropped (with a note) so one command cannot exhaust the agent.
    static let limit = 16 << 20

    init() throws {
        func makePipe() throws -> (Int32, Int32) { try ChildProcesses.cloexecPipe() }
        let i = try makePipe(), o = try makePipe(), e = try makePipe()
        (childStdin, parentStdin) = i
        (parentStdout, childStdout) = o
        (parentStderr, childStderr) = e
        fds = [i.0, i.1, o.0, o.1, e.0, e.1]
    }

    func closeAll() {
        for fd in fds { close(fd) }
        fds = []
    }

    func closeChildEnds() {
        for fd in [childStdin, childStdout, childStderr] { close(fd) }
        fds = [parentStdin, parentStdout, parentStderr]
    }

    struct Outcome {
        var stdout: String
        var stderr: String
        var timedOut: Bool
    }

    func run(input: Data, timeout: Double, helper: pid_t) -> Outcome {
        defer { closeAll() }
        signal(SIGPIPE, SIG_IGN)
        var out = Data(), err = Data()
        var inputOffset = 0
        var stdinOpen = true
        if input.isEmpty {
            close(parentStdin)
            stdinOpen = false
            fds.removeAll { $0 == parentStdin }
        }
        var outOpen = true, errOpen = true
        let deadline = Monotonic.now + timeout
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        while outOpen || errOpen {
            let remaining = deadline - Monotonic.now
            if remaining <= 0 {
                timedOut = true
                // The command dies with its helper (PR_SET_PDEATHSIG in the shim).
                kill(helper, SIGKILL)
                break
            }
            var pfds: [pollfd] = []
            if outOpen { pfds.append(pollfd(fd: parentStdout, events: Int16(POLLIN), revents: 0)) }
            if errOpen { pfds.append(pollfd(fd: parentStderr, events: Int16(POLLIN), revents: 0)) }
            if stdinOpen { pfds.append(pollfd(fd: parentStdin, events: Int16(POLLOUT), revents: 0)) }
            let r = poll(&pfds, nfds_t(pfds.count), Int32(min(remaining, 1) * 1000))
            if r < 0 { if errno == EINTR { continue }; break }
            for p in pfds where p.revents != 0 {
                if p.fd == parentStdin {
                    let n = input.withUnsafeBytes { raw in write(parentStdin, raw.baseAddress! + inputOffset, raw.count - inputOffset) }
                    if n > 0 { inputOffset += n }
                    if n < 0 || inputOffset >= input.count {
                        close(parentStdin)
                        stdinOpen = false
                        fds.removeAll { $0 == parentStdin }
                    }
                    continue
                }
                let n = read(p.fd, &buffer, buffer.count)
                if n <= 0 {
                    if p.fd == parentStdout { outOpen = false } else { errOpen = false }
                    continue
                }
                if p.fd == parentStdout {
                    if out.count < Self.limit { out.append(contentsOf: buffer[0..<n]) }
                } else if err.count < Self.limit {
                    err.append(contentsOf: buffer[0..<n])
                }
            }
        }
        if stdinOpen { close(parentStdin); fds.removeAll { $0 == parentStdin } }
        return Outcome(stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self), timedOut: timedOut)
    }
}
