import FleetProtocol
import Foundation
import FleetSystem
import Glibc
import Synchronization

/// A Unix stream socket carrying lines: the controller's processes talk to
/// their connection keeper over one (a file of mode 0600 next to the store).
final class UnixSocket: Sendable {
    let fd: Int32
    /// Received bytes not yet returned as lines. One thread reads a socket
    /// at a time; the lock is what lets the compiler see that when the
    /// keeper hands a connection to a thread of its own.
    private let received = Mutex(LineBuffer())

    /// Bytes searched for "\n" so far (tests hold it to the bytes received:
    /// a line of many megabytes arriving in pieces is searched once).
    var bytesSearched: Int { received.withLock { $0.bytesSearched } }

    init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    private static func address(_ path: String) -> sockaddr_un? {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        return addr
    }

    /// Connects to a listening socket; nil when nobody listens there.
    static func connect(to path: String) -> UnixSocket? {
        guard var addr = address(path) else { return nil }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            return nil
        }
        return UnixSocket(fd: fd)
    }

    /// Listens at `path` (replacing a stale socket file), readable and
    /// writable by this user only.
    static func listen(at path: String) throws(FleetError) -> UnixSocket {
        guard var addr = address(path) else { throw .invalid("socket path \(path) is too long for a Unix socket") }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .failed("cannot make a Unix socket: \(String(cString: strerror(errno)))") }
        unlink(path)
        let old = umask(0o077)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(old)
        guard rc == 0, Glibc.listen(fd, 64) == 0 else {
            let e = String(cString: strerror(errno))
            close(fd)
            throw .failed("cannot listen on \(path): \(e)")
        }
        return UnixSocket(fd: fd)
    }

    /// Waits up to `timeout` seconds for a connection; nil when none came.
    func accept(timeout: Double) -> UnixSocket? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32(timeout * 1000)) > 0 else { return nil }
        let c = Glibc.accept(fd, nil, nil)
        guard c >= 0 else { return nil }
        // Not inherited by anything the keeper starts (ssh does not exec, but be sure).
        _ = fcntl(c, F_SETFD, FD_CLOEXEC)
        return UnixSocket(fd: c)
    }

    func writeLine(_ text: String) -> Bool {
        var data = Data(text.utf8)
        data.append(10)
        return data.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = send(fd, raw.baseAddress! + off, raw.count - off, Int32(MSG_NOSIGNAL))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                off += n
            }
            return true
        }
    }

    /// The next line, or nil at end of stream, on error or after `timeout`.
    func readLine(timeout: Double) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        return received.withLock { buffer -> String? in
            var chunk: [UInt8] = []
            while true {
                if let line = buffer.takeLine() { return String(decoding: line, as: UTF8.self) }
                let left = deadline.timeIntervalSinceNow
                guard left > 0 else { return nil }
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let r = poll(&p, 1, Int32(min(left, 3600) * 1000) + 1)
                if r < 0 && errno == EINTR { continue }
                guard r > 0 else { return nil }
                if chunk.isEmpty { chunk = [UInt8](repeating: 0, count: 65536) }
                let n = recv(fd, &chunk, chunk.count, 0)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return nil }
                buffer.append(Array(chunk[0..<n]))
            }
        }
    }
}
