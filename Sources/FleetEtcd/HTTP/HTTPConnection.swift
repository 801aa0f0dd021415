import Foundation

import FleetSystem
import Glibc
import Synchronization

/// One TCP connection to an etcd member, blocking with deadlines (poll).
/// Whoever reads owns it; `shutdown()` may come from another thread (a
/// watch's cancel) and wakes a blocked read.
final class HTTPConnection: Sendable {
    /// Why a connection could not be made: nothing was sent.
    struct ConnectFailure: Error {
        let reason: String
    }

    /// Why a send or a read failed once connected.
    struct IOFailure: Error {
        let reason: String
    }

    let endpoint: EtcdEndpoint
    private let fd: Int32
    private let closed = Mutex(false)

    private init(endpoint: EtcdEndpoint, fd: Int32) {
        self.endpoint = endpoint
        self.fd = fd
    }

    deinit { close() }

    /// Connects to the endpoint's first address that accepts before `deadline`.
    static func connect(to endpoint: EtcdEndpoint, deadline: Double) throws(ConnectFailure) -> HTTPConnection {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
        guard rc == 0, let first = list else {
            throw ConnectFailure(reason: "cannot resolve \(endpoint.host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var reason = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), info.pointee.ai_protocol)
            guard fd >= 0 else {
                reason = String(cString: strerror(errno))
                continue
            }
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 || errno == EINPROGRESS {
                if let failure = waitConnected(fd, deadline: deadline) {
                    reason = failure
                    Glibc.close(fd)
                    continue
                }
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return HTTPConnection(endpoint: endpoint, fd: fd)
            }
            reason = String(cString: strerror(errno))
            Glibc.close(fd)
        }
        throw ConnectFailure(reason: reason)
    }

    private static func waitConnected(_ fd: Int32, deadline: Double) -> String? {
        var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        while true {
            let left = deadline - Monotonic.now
            guard left > 0 else { return "connect timed out" }
            let rc = poll(&pfd, 1, Int32(min(left, 3600) * 1000) + 1)
            if rc < 0, errno == EINTR { continue }
            if rc < 0 { return String(cString: strerror(errno)) }
            if rc == 0 { continue }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            return error == 0 ? nil : String(cString: strerror(error))
        }
    }

    /// Sends every byte before `deadline`.
    func send(_ bytes: [UInt8], deadline: Double) throws(IOFailure) {
        var offset = 0
        while offset < bytes.count {
            try wait(for: Int16(POLLOUT), deadline: deadline, doing: "send")
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw IOFailure(reason: "send: \(String(cString: strerror(errno)))")
            }
            offset += sent
        }
    }

    /// Reads what has arrived (at least one byte) before `deadline`; an
    /// empty result is the end of the stream.
    func receive(deadline: Double) throws(IOFailure) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            try wait(for: Int16(POLLIN), deadline: deadline, doing: "read")
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw IOFailure(reason: "read: \(String(cString: strerror(errno)))")
            }
            return Array(buffer[0..<count])
        }
    }

    private func wait(for events: Int16, deadline: Double, doing: String) throws(IOFailure) {
        var pfd = pollfd(fd: fd, events: events, revents: 0)
        while true {
            let left = deadline - Monotonic.now
            guard left > 0 else { throw IOFailure(reason: "\(doing) timed out") }
            let rc = poll(&pfd, 1, Int32(min(left, 3600) * 1000) + 1)
            if rc > 0 { return }
            if rc < 0, errno != EINTR { throw IOFailure(reason: "poll: \(String(cString: strerror(errno)))") }
        }
    }

    /// Wakes a read blocked on another thread (it sees the end of the stream).
    func shutdown() {
        closed.withLock { isClosed in
            if !isClosed { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    func close() {
        closed.withLock { isClosed in
            if !isClosed {
                isClosed = true
                Glibc.close(fd)
            }
        }
    }
}
