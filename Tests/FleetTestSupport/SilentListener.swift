import Foundation

/// A TCP listener on 127.0.0.1 that never accepts or speaks: the kernel
/// completes the handshake from the backlog, then nothing ever arrives,
/// like a host whose sshd hangs or a black-holing middlebox.
public final class SilentListener {
    public let port: Int
    private let fd: Int32

    public init() throws {
        let (fd, port) = try LoopbackPort.listen(backlog: 8, what: "silent listener")
        self.fd = fd
        self.port = port
    }

    deinit { close(fd) }
}
