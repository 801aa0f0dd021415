import FleetTestSupport
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
        let (fd, port) = try LoopbackPort.listen(backlog: 8, what: "witness listener")
        self.fd = fd
        self.port = port
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
