import FleetTree
import Glibc

/// Somewhere bytes are written to, in order: a descriptor, a framing layer,
/// a buffer in memory. ``TreeStreamWriter`` produces its stream into one.
public protocol ByteSink {
    /// Writes all of `bytes` (or throws); there are no short writes.
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// Writes to an open file descriptor (a pipe, a socket, a file) with
/// `write(2)`, retrying short writes and `EINTR`. The descriptor stays the
/// caller's: this type never closes it.
///
/// A write to a pipe whose reader went away raises `SIGPIPE`; processes that
/// stream into pipes should ignore that signal so the failure arrives as an
/// `EPIPE` error instead.
public struct FDSink: ByteSink, Sendable {
    public let fd: Int32

    public init(fd: Int32) {
        self.fd = fd
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let count = Glibc.write(fd, base + offset, bytes.count - offset)
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw TreeError(
                    operation: "cannot write stream to descriptor \(fd)",
                    problem: "write failed: \(Posix.describe(errno: code))",
                    remedy: code == EPIPE
                        ? "the receiving side closed the stream; check its error"
                        : "check the connection or the file system and retry",
                    errnoCode: code)
            }
            offset += count
        }
    }
}
