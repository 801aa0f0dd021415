import Foundation

import CFleetEtcdTLS
import FleetSystem
import Glibc
import Synchronization

/// One TCP connection to an etcd member, blocking with deadlines (poll),
/// in TLS when the client has a context. Whoever reads owns it;
/// `shutdown()` may come from another thread (a watch's cancel) and wakes
/// a blocked read.
// @unchecked Sendable: the TLS session is used only by the thread that
// sends and reads; another thread only shuts the socket down, under `closed`.
final class HTTPConnection: @unchecked Sendable {
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
    private let tls: OpaquePointer?
    private let closed = Mutex(false)

    private init(endpoint: EtcdEndpoint, fd: Int32, tls: OpaquePointer?) {
        self.endpoint = endpoint
        self.fd = fd
        self.tls = tls
    }

    deinit { close() }

    /// Connects to the endpoint's first address that accepts before `deadline`.
    static func connect(to endpoint: EtcdEndpoint, tls: EtcdTLSContext?, deadline: Double) throws(ConnectFailure) -> HTTPConnection {
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
                guard let tls else { return HTTPConnection(endpoint: endpoint, fd: fd, tls: nil) }
                // Nothing of the request has left before the handshake is
                // done, so a failed handshake is a failed connect.
                let session: OpaquePointer
                do throws(IOFailure) {
                    session = try handshake(fd, host: endpoint.host, context: tls, deadline: deadline)
                } catch {
                    Glibc.close(fd)
                    throw ConnectFailure(reason: error.reason)
                }
                return HTTPConnection(endpoint: endpoint, fd: fd, tls: session)
            }
            reason = String(cString: strerror(errno))
            Glibc.close(fd)
        }
        throw ConnectFailure(reason: reason)
    }

    private static func handshake(_ fd: Int32, host: String, context: EtcdTLSContext, deadline: Double) throws(IOFailure) -> OpaquePointer {
        var error = [CChar](repeating: 0, count: 512)
        guard let session = fleet_etcd_tls_session_new(context.context, fd, host, &error, error.count) else {
            throw IOFailure(reason: text(error))
        }
        while true {
            let rc = fleet_etcd_tls_handshake(session, &error, error.count)
            if rc == 1 { return session }
            do throws(IOFailure) {
                switch rc {
                case FLEET_ETCD_TLS_WANT_READ: try waitReady(fd, for: Int16(POLLIN), deadline: deadline, doing: "TLS handshake")
                case FLEET_ETCD_TLS_WANT_WRITE: try waitReady(fd, for: Int16(POLLOUT), deadline: deadline, doing: "TLS handshake")
                default: throw IOFailure(reason: "TLS handshake: \(text(error))")
                }
            } catch {
                fleet_etcd_tls_session_free(session)
                throw error
            }
        }
    }

    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
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
        if let tls {
            var error = [CChar](repeating: 0, count: 512)
            while offset < bytes.count {
                let rc = bytes.withUnsafeBytes { fleet_etcd_tls_write(tls, $0.baseAddress! + offset, bytes.count - offset, &error, error.count) }
                switch rc {
                case let written where written > 0: offset += written
                case Int(FLEET_ETCD_TLS_WANT_READ): try wait(for: Int16(POLLIN), deadline: deadline, doing: "send")
                case Int(FLEET_ETCD_TLS_WANT_WRITE): try wait(for: Int16(POLLOUT), deadline: deadline, doing: "send")
                default: throw IOFailure(reason: "send: \(Self.text(error))")
                }
            }
            return
        }
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
        if let tls {
            // TLS may hold decrypted bytes already: read first, wait only when told.
            var error = [CChar](repeating: 0, count: 512)
            while true {
                let rc = buffer.withUnsafeMutableBytes { fleet_etcd_tls_read(tls, $0.baseAddress!, $0.count, &error, error.count) }
                switch rc {
                case let count where count >= 0: return Array(buffer[0..<count])
                case Int(FLEET_ETCD_TLS_WANT_READ): try wait(for: Int16(POLLIN), deadline: deadline, doing: "read")
                case Int(FLEET_ETCD_TLS_WANT_WRITE): try wait(for: Int16(POLLOUT), deadline: deadline, doing: "read")
                default: throw IOFailure(reason: "read: \(Self.text(error))")
                }
            }
        }
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
        try Self.waitReady(fd, for: events, deadline: deadline, doing: doing)
    }

    private static func waitReady(_ fd: Int32, for events: Int16, deadline: Double, doing: String) throws(IOFailure) {
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
                if let tls { fleet_etcd_tls_session_free(tls) }
                Glibc.close(fd)
            }
        }
    }
}
