import Foundation
import Synchronization

/// A TCP listener on 127.0.0.1 that counts the connections it accepts and
/// closes each at once: did a client send anything here?
final class RequestWitness: Sendable {
    let port: Int
    private let fd: Int32
    private let accepted = Counter()

    private final class Counter: Sendable {
        let count = Atomic<Int>(0)
    }

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw FixtureError("socket: \(String(cString: strerror(errno)))") }
        var address = LoopbackPort.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0, listen(fd, 8) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw FixtureError("witness listener on 127.0.0.1: \(reason)")
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let counter = accepted
        Thread.detachNewThread {
            // Ends when the listener is shut down (accept fails).
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                counter.count.add(1, ordering: .relaxed)
                close(client)
            }
        }
    }

    var connections: Int { accepted.count.load(ordering: .relaxed) }

    deinit {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}
