import FleetTree
import Glibc

/// Somewhere bytes are read from, in order. ``TreeStreamReader`` consumes its
/// stream from one.
public protocol ByteSource {
    /// Reads up to `buffer.count` bytes into `buffer` and returns how many
    /// were read (at least one when `buffer` is not empty).
    /// returns 0 at end of input
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Reads from an open file descriptor with `read(2)`, retrying `EINTR`.
/// The descriptor stays the caller's: this type never closes it.
public struct FDSource: ByteSource, Sendable {
    public let fd: Int32

    public init(fd: Int32) {
        self.fd = fd
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            let code = errno
            if code == EINTR { continue }
            throw TreeError(
                operation: "cannot read stream from descriptor \(fd)",
                problem: "read failed: \(Posix.describe(errno: code))",
                remedy: "check the connection or the file system and retry",
                errnoCode: code)
        }
    }
}
