import CFleetShim
import Glibc

/// A pseudo-terminal pair for a command entered into a guest with a
/// terminal: the guest gets the slave, never the caller's own terminal (a
/// host descriptor), and the agent relays between the master and the caller.
public final class PseudoTerminal {
    public let master: Int32
    public private(set) var slave: Int32

    /// Opens a pair whose slave starts with `settings` (the caller's terminal
    /// modes) and `size`, and belongs to `owner` when given (a user namespace
    /// guest's root, which must be able to use its own terminal).
    public init(settings: termios?, size: winsize?, owner: UInt32?) throws(KernelError) {
        var name = [CChar](repeating: 0, count: 128)
        var s: Int32 = -1
        let m = vf_pty_open(&name, name.count, &s, owner.map { Int64($0) } ?? -1)
        guard m >= 0 else {
            throw KernelError("open a pseudo-terminal for", "the command", errno: -m, hint: "is /dev/pts mounted, with ptys left (kernel.pty.max)?")
        }
        if var settings { _ = tcsetattr(s, TCSANOW, &settings) }
        master = m
        slave = s
        if let size { resize(size) }
    }

    /// Tells the command its window changed (it gets SIGWINCH).
    public func resize(_ size: winsize) {
        var s = size
        _ = ioctl(master, UInt(TIOCSWINSZ), &s)
    }

    /// After the command has its copy: only the guest holds the slave then,
    /// so the master reads EIO once every process there has closed it.
    public func closeSlave() {
        if slave >= 0 { close(slave) }
        slave = -1
    }

    deinit {
        closeSlave()
        close(master)
    }
}

/// The caller's terminal: its modes and size, raw mode while a command
/// inside a guest owns the keyboard, and the modes put back afterwards.
public struct CallerTerminal {
    public let fd: Int32
    public let settings: termios
    public let size: winsize?

    /// nil when `fd` is not a terminal.
    public init?(fd: Int32) {
        guard isatty(fd) == 1 else { return nil }
        var t = termios()
        guard tcgetattr(fd, &t) == 0 else { return nil }
        self.fd = fd
        settings = t
        size = Self.size(of: fd)
    }

    public static func size(of fd: Int32) -> winsize? {
        var w = winsize()
        return ioctl(fd, UInt(TIOCGWINSZ), &w) == 0 ? w : nil
    }

    /// Every key goes to the guest's terminal as typed (^C included).
    public func makeRaw() {
        var raw = settings
        cfmakeraw(&raw)
        _ = tcsetattr(fd, TCSAFLUSH, &raw)
    }

    public func restore() {
        var t = settings
        _ = tcsetattr(fd, TCSAFLUSH, &t)
    }
}
