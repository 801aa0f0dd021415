import FleetSystem
import FleetTestSupport
import Foundation
import Glibc
import Testing

@Suite(.tags(.unit)) struct HTTPListenerTests {
    static func listener(timeout: Double = 1) throws -> HTTPListener {
        try HTTPListener(address: "127.0.0.1:0", maxRequestBytes: 1024, connectionTimeout: timeout) { request in
            request.path == "/metrics" ? .init(status: 200, body: "vfleet_up 1\n") : .init(status: 404, body: "no\n")
        }
    }

    @Test func servesGetAndAnswers404ElsewhereAnd405ToOtherMethods() throws {
        let l = try Self.listener()
        defer { l.stop() }
        let ok = try HTTPProbe.get(host: "127.0.0.1", port: UInt16(l.port), path: "/metrics?x=1")
        #expect(ok.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(ok.hasSuffix("\r\n\r\nvfleet_up 1\n"))
        #expect(ok.contains("Content-Length: 12\r\n"))
        #expect(try HTTPProbe.get(host: "127.0.0.1", port: UInt16(l.port), path: "/").hasPrefix("HTTP/1.1 404 "))
        let post = try Self.exchange(port: l.port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        #expect(post.hasPrefix("HTTP/1.1 405 "))
        #expect(try Self.exchange(port: l.port, "garbage\r\n\r\n").hasPrefix("HTTP/1.1 400 "))
    }

    @Test func refusesAnOversizedRequest() throws {
        let l = try Self.listener()
        defer { l.stop() }
        let big = "GET /metrics HTTP/1.1\r\nX-Pad: " + String(repeating: "a", count: 4000) + "\r\n\r\n"
        #expect(try Self.exchange(port: l.port, big).hasPrefix("HTTP/1.1 431 "))
    }

    /// A client that connects and sends nothing holds only its own
    /// connection, and only for the connection timeout.
    @Test func aSilentClientDelaysNobodyAndIsClosedAtTheTimeout() throws {
        let l = try Self.listener(timeout: 1)
        defer { l.stop() }
        let silent = try Self.connect(port: l.port)
        defer { close(silent) }
        let started = Monotonic.now
        #expect(try HTTPProbe.get(host: "127.0.0.1", port: UInt16(l.port), path: "/metrics").hasPrefix("HTTP/1.1 200 "))
        #expect(Monotonic.now - started < 0.5)
        // The listener closes the silent one after its timeout: EOF, no answer.
        var tv = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(silent, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var byte: UInt8 = 0
        #expect(recv(silent, &byte, 1, 0) == 0)
        #expect(Monotonic.now - started < 2.5)
    }

    /// Past `maxConnections` at once, a new connection is closed at once
    /// (no thread for it), and served again once the others are gone.
    @Test func closesConnectionsBeyondTheLimit() throws {
        let l = try HTTPListener(address: "127.0.0.1:0", connectionTimeout: 1, maxConnections: 2) { _ in .init(status: 200, body: "ok\n") }
        defer { l.stop() }
        let held = [try Self.connect(port: l.port), try Self.connect(port: l.port)]
        usleep(100_000)
        let extra = try Self.connect(port: l.port)
        defer { close(extra) }
        var tv = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(extra, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let started = Monotonic.now
        var byte: UInt8 = 0
        #expect(recv(extra, &byte, 1, 0) == 0)
        #expect(Monotonic.now - started < 0.5)
        for fd in held { close(fd) }
        usleep(200_000)
        #expect(try HTTPProbe.get(host: "127.0.0.1", port: UInt16(l.port), path: "/metrics").hasPrefix("HTTP/1.1 200 "))
    }

    @Test func refusesAnAddressWithoutAPort() {
        #expect(throws: SystemError.self) { try HTTPListener(address: "127.0.0.1") { _ in .init(status: 200, body: "") } }
        #expect(throws: SystemError.self) { try HTTPListener(address: "[::1]") { _ in .init(status: 200, body: "") } }
    }

    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(rc == 0)
        return fd
    }

    static func exchange(port: Int, _ request: String) throws -> String {
        let fd = try connect(port: port)
        defer { close(fd) }
        var tv = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(request.utf8)
        _ = send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL))
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
