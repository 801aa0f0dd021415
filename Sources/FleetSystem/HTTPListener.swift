import CFleetSystem
import Foundation
import Glibc
import Synchronization

/// A minimal HTTP/1.x listener for one read-only endpoint such as
/// `/metrics`: each connection gets one request and one answer, then is
/// closed. A request is read up to `maxRequestBytes` (larger: 431) within
/// `connectionTimeout` seconds (slower: closed unanswered), on a thread of
/// its own, at most `maxConnections` at once (more: closed at once), so a
/// slow or hostile client holds one thread for at most the timeout and never
/// the caller. Not a general web server: no keep-alive, no request body.
public final class HTTPListener: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var path: String
    }

    public struct Response: Sendable {
        public var status: Int
        public var contentType: String
        public var body: String

        public init(status: Int, contentType: String = "text/plain; charset=utf-8", body: String) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    /// The address it listens on, with the port the kernel chose for port 0.
    public let host: String
    public let port: Int
    private let fd: Int32
    private let handler: @Sendable (Request) -> Response
    private let maxRequestBytes: Int
    private let connectionTimeout: Double
    private let maxConnections: Int
    private let stopping = Atomic<Bool>(false)
    private let open = Atomic<Int>(0)
    private let acceptDone = DispatchSemaphore(value: 0)

    /// Binds `address` ("HOST:PORT", "[V6]:PORT"; HOST numeric or a name)
    /// and starts accepting on a thread of its own.
    public init(address: String, maxRequestBytes: Int = 8192, connectionTimeout: Double = 5, maxConnections: Int = 32,
                handler: @escaping @Sendable (Request) -> Response) throws(SystemError) {
        let (hostPart, portPart) = try Self.split(address)
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(hostPart.isEmpty ? nil : hostPart, portPart, &hints, &list)
        guard rc == 0, let first = list else { throw SystemError("resolve", address, errno: EADDRNOTAVAIL) }
        defer { freeaddrinfo(list) }
        let s = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw SystemError("make a socket for", address, errno: errno) }
        var one: Int32 = 1
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(s, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let e = errno
            close(s)
            throw SystemError("listen on", address, errno: e)
        }
        guard listen(s, 64) == 0 else {
            let e = errno
            close(s)
            throw SystemError("listen on", address, errno: e)
        }
        var bound = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &length) }
        }
        port = Self.port(of: bound)
        host = hostPart.isEmpty ? "0.0.0.0" : hostPart
        fd = s
        self.handler = handler
        self.maxRequestBytes = maxRequestBytes
        self.connectionTimeout = connectionTimeout
        self.maxConnections = maxConnections
        let thread = Thread { [self] in acceptLoop() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Stops accepting and closes the socket; connections being answered
    /// finish by themselves within their timeout.
    public func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        acceptDone.wait()
        close(fd)
    }

    private func acceptLoop() {
        defer { acceptDone.signal() }
        while !stopping.load(ordering: .acquiring) {
            // Poll with a short timeout so stop() is noticed without a second descriptor.
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, 200)
            if ready <= 0 { continue }
            let c = fleet_accept_cloexec(fd)
            if c < 0 { continue }
            if open.wrappingAdd(1, ordering: .relaxed).newValue > maxConnections {
                open.wrappingSubtract(1, ordering: .relaxed)
                close(c)
                continue
            }
            let thread = Thread { [self] in
                serve(c)
                close(c)
                open.wrappingSubtract(1, ordering: .relaxed)
            }
            thread.stackSize = 512 << 10
            thread.start()
        }
    }

    private func serve(_ c: Int32) {
        var timeout = timeval(tv_sec: Int(connectionTimeout), tv_usec: Int((connectionTimeout - Double(Int(connectionTimeout))) * 1e6))
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let deadline = Monotonic.now + connectionTimeout
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let end = HTTPRequestHead.end(of: received)
            if (end ?? received.count) > maxRequestBytes {
                send(c, Response(status: 431, body: "request header larger than \(maxRequestBytes) bytes\n"))
                drain(c, deadline: deadline)
                return
            }
            if end != nil { break }
            if Monotonic.now > deadline { return }
            let n = buffer.withUnsafeMutableBytes { recv(c, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            received.append(contentsOf: buffer[0..<n])
        }
        guard let request = HTTPRequestHead.parse(received) else {
            send(c, Response(status: 400, body: "bad request\n"))
            return
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            send(c, Response(status: 405, body: "only GET\n"), extraHeaders: "Allow: GET, HEAD\r\n")
            return
        }
        var response = handler(request)
        if request.method == "HEAD" {
            let length = response.body.utf8.count
            response.body = ""
            send(c, response, extraHeaders: "", contentLength: length)
            return
        }
        send(c, response)
    }

    /// After an early answer: closing with unread bytes would reset the
    /// connection and the client could lose the answer, so read (and drop)
    /// what it still sends, up to 64 KiB and the deadline.
    private func drain(_ c: Int32, deadline: Double) {
        shutdown(c, Int32(SHUT_WR))
        var buffer = [UInt8](repeating: 0, count: 4096)
        var dropped = 0
        while dropped < 65536, Monotonic.now < deadline {
            let n = buffer.withUnsafeMutableBytes { recv(c, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            dropped += n
        }
    }

    private func send(_ c: Int32, _ r: Response, extraHeaders: String = "", contentLength: Int? = nil) {
        let body = Array(r.body.utf8)
        let head = "HTTP/1.1 \(r.status) \(Self.reason(r.status))\r\nContent-Type: \(r.contentType)\r\n"
            + "Content-Length: \(contentLength ?? body.count)\r\n\(extraHeaders)Connection: close\r\n\r\n"
        var bytes = Array(head.utf8)
        bytes.append(contentsOf: body)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(c, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 431: "Request Header Fields Too Large"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }

    /// "HOST:PORT" or "[V6]:PORT" into its parts; the port is required.
    static func split(_ address: String) throws(SystemError) -> (String, String) {
        let bad = SystemError("listen on", "\(address) (want HOST:PORT, e.g. 127.0.0.1:9464 or [::1]:9464)", errno: EINVAL)
        if address.hasPrefix("[") {
            guard let close = address.firstIndex(of: "]"), address[address.index(after: close)...].hasPrefix(":") else { throw bad }
            let port = String(address[address.index(close, offsetBy: 2)...])
            guard let p = Int(port), (0...65535).contains(p) else { throw bad }
            return (String(address[address.index(after: address.startIndex)..<close]), port)
        }
        guard let colon = address.lastIndex(of: ":") else { throw bad }
        let hostPart = String(address[..<colon])
        let port = String(address[address.index(after: colon)...])
        guard let p = Int(port), (0...65535).contains(p), !hostPart.contains(":") else { throw bad }
        return (hostPart, port)
    }

    private static func port(of storage: sockaddr_storage) -> Int {
        var s = storage
        return withUnsafePointer(to: &s) { raw in
            if Int32(storage.ss_family) == AF_INET6 {
                return raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }
}
