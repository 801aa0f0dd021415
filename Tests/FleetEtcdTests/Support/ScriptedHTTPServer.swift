import FleetTestSupport
import Foundation

/// A one-connection TCP server on 127.0.0.1 that reads the request head and
/// then writes the given pieces with a pause before each: an HTTP answer
/// arriving in awkward places (a chunk split across writes, late bytes).
final class ScriptedHTTPServer: Sendable {
    let port: Int
    private let fd: Int32

    init(pieces: [(pause: Double, bytes: String)]) throws {
        let (fd, port) = try LoopbackPort.listen(backlog: 1, what: "scripted server")
        self.fd = fd
        self.port = port
        let script = pieces.map { ($0.pause, Array($0.bytes.utf8)) }
        Thread.detachNewThread {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            defer { close(client) }
            // The request head ends with an empty line.
            var seen: [UInt8] = []
            var byte: UInt8 = 0
            while !seen.suffix(4).elementsEqual([13, 10, 13, 10]), recv(client, &byte, 1, 0) == 1 { seen.append(byte) }
            for (pause, bytes) in script {
                usleep(UInt32(pause * 1_000_000))
                _ = bytes.withUnsafeBytes { send(client, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
            }
        }
    }

    deinit {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}
