import FleetKernel
import Glibc

/// The terminal signals the agent passes on to an attached command.
private let forwardedSignals: [Int32] = [SIGINT, SIGQUIT, SIGTERM, SIGHUP]
/// Written by the signal handler (async-signal-safe: one write).
nonisolated(unsafe) private var signalPipeWrite: Int32 = -1
private func noteSignal(_ sig: Int32) {
    var byte = UInt8(truncatingIfNeeded: sig)
    _ = write(signalPipeWrite, &byte, 1)
}

/// `vfleet-agent exec` and `enter`: the caller's stdin, stdout and stderr
/// are relayed, never handed into the guest. A host descriptor inside a
/// guest is a way out of it (open_by_handle_at through it, or a terminal
/// shared with the host's shell), so the command gets pipes, or with a
/// terminal a pseudo-terminal of its own, and the agent copies between
/// them and the caller.
final class AttachedIO {
    let childStdin: Int32, childStdout: Int32, childStderr: Int32
    private var toChild: Int32 = -1        // pipe write end, or the pty master
    private var fromChild: Int32 = -1      // pipe read end, or the pty master
    private var errFromChild: Int32 = -1   // pipe mode only
    private var childEnds: [Int32] = []
    private let pty: PseudoTerminal?
    private let terminal: CallerTerminal?
    private let signals: (read: Int32, write: Int32)

    /// A terminal (when `terminal` is given) or three pipes. `owner`: the
    /// host uid of a user namespace guest's root, who must own its terminal.
    init(terminal: CallerTerminal?, owner: UInt32?) throws(KernelError) {
        self.terminal = terminal
        signals = try ChildProcesses.cloexecPipe()
        if let terminal {
            let p = try PseudoTerminal(settings: terminal.settings, size: terminal.size, owner: owner)
            pty = p
            (childStdin, childStdout, childStderr) = (p.slave, p.slave, p.slave)
            toChild = p.master
            fromChild = p.master
        } else {
            pty = nil
            let i = try ChildProcesses.cloexecPipe(), o = try ChildProcesses.cloexecPipe(), e = try ChildProcesses.cloexecPipe()
            (childStdin, toChild) = i
            (fromChild, childStdout) = o
            (errFromChild, childStderr) = e
            childEnds = [i.0, o.1, e.1]
        }
    }

    /// Once the helper has its copies: the guest's side is then the guest's alone.
    func closeChildEnds() {
        pty?.closeSlave()
        for fd in childEnds { close(fd) }
        childEnds = []
    }

    /// Relays until the command's output ends, then returns its status.
    func run(helper: pid_t) -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        signalPipeWrite = signals.write
        var previous: [Int32: sighandler_t?] = [:]
        for sig in forwardedSignals { previous[sig] = signal(sig, noteSignal) }
        terminal?.makeRaw()
        defer {
            terminal?.restore()
            for (sig, handler) in previous { signal(sig, handler) }
            signalPipeWrite = -1
            close(signals.read)
            close(signals.write)
            if pty == nil {
                for fd in [toChild, fromChild, errFromChild] where fd >= 0 { close(fd) }
            }
        }
        relay(helper: helper)
        return GuestExec.wait(helper)
    }

    private func relay(helper: pid_t) {
        var stdinOpen = true
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var lastSize = terminal.flatMap { CallerTerminal.size(of: $0.fd) }
        _ = fcntl(toChild, F_SETFL, fcntl(toChild, F_GETFL) | O_NONBLOCK)
        while fromChild >= 0 || errFromChild >= 0 {
            var pfds: [pollfd] = [pollfd(fd: signals.read, events: Int16(POLLIN), revents: 0)]
            if fromChild >= 0 { pfds.append(pollfd(fd: fromChild, events: Int16(POLLIN), revents: 0)) }
            if errFromChild >= 0 { pfds.append(pollfd(fd: errFromChild, events: Int16(POLLIN), revents: 0)) }
            if stdinOpen && pending.isEmpty { pfds.append(pollfd(fd: 0, events: Int16(POLLIN), revents: 0)) }
            if !pending.isEmpty && toChild >= 0 { pfds.append(pollfd(fd: toChild, events: Int16(POLLOUT), revents: 0)) }
            let r = poll(&pfds, nfds_t(pfds.count), terminal == nil ? -1 : 250)
            if r < 0 && errno != EINTR { return }
            if let terminal, let size = CallerTerminal.size(of: terminal.fd),
               size.ws_row != lastSize?.ws_row || size.ws_col != lastSize?.ws_col {
                pty?.resize(size)
                lastSize = size
            }
            for p in pfds where p.revents != 0 {
                if p.fd == signals.read {
                    var sig: UInt8 = 0
                    if read(signals.read, &sig, 1) == 1 { forward(Int32(sig), helper: helper) }
                } else if p.fd == 0 {
                    let n = read(0, &buffer, buffer.count)
                    if n > 0 {
                        pending.append(contentsOf: buffer[0..<n])
                    } else if n == 0 || errno != EINTR {
                        stdinOpen = false
                        // A pipe's reader sees the end of input; a terminal has
                        // none to give (the caller's ^D is already a key).
                        if pty == nil { close(toChild); toChild = -1 }
                    }
                } else if p.events & Int16(POLLOUT) != 0 {
                    let n = pending.withUnsafeBytes { write(toChild, $0.baseAddress, $0.count) }
                    if n > 0 {
                        pending.removeFirst(n)
                    } else if n < 0 && errno != EAGAIN && errno != EINTR {
                        pending.removeAll()
                        stdinOpen = false
                    }
                } else if p.fd == fromChild {
                    drain(&fromChild, to: 1, &buffer)
                } else if p.fd == errFromChild {
                    drain(&errFromChild, to: 2, &buffer)
                }
            }
        }
    }

    /// Copies one read to `out`; closes `fd` at its end (EOF, or EIO once
    /// nobody in the guest holds the terminal) or when `out` is gone, so
    /// that the command gets SIGPIPE as it would writing there itself.
    private func drain(_ fd: inout Int32, to out: Int32, _ buffer: inout [UInt8]) {
        let n = read(fd, &buffer, buffer.count)
        if n < 0 && (errno == EINTR || errno == EAGAIN) { return }
        guard n > 0, writeAll(out, buffer, n) else {
            if pty == nil { close(fd) }
            fd = -1
            return
        }
    }

    private func writeAll(_ fd: Int32, _ buffer: [UInt8], _ count: Int) -> Bool {
        var done = 0
        while done < count {
            let w = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + done, count - done) }
            if w < 0 && errno == EINTR { continue }
            if w <= 0 { return false }
            done += w
        }
        return true
    }

    /// A signal for the caller's command goes to the command itself (the
    /// helper's only child); failing that, the helper is killed, and the
    /// command with it.
    private func forward(_ sig: Int32, helper: pid_t) {
        let children = (try? SysFile.read("/proc/\(helper)/task/\(helper)/children")) ?? ""
        if let command = children.split(whereSeparator: { $0 == " " || $0 == "\n" }).first.flatMap({ pid_t($0) }) {
            kill(command, sig)
        } else {
            kill(helper, SIGKILL)
        }
    }
}
