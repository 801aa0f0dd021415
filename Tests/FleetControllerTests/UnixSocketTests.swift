@testable import FleetController
import FleetTestSupport
import Foundation
import Glibc
import Testing

/// The controller's line socket to its connection keeper. Answers can be
/// megabytes long (a layer manifest); a long line arriving in pieces must be
/// searched once, not from its start after every piece: that rescan made a
/// move of a 50,000-file guest spend 18 s in this loop.
@Suite(.tags(.unit)) struct UnixSocketTests {
    @Test func aLongLineInSmallPiecesIsSearchedOnceAndArrivesWhole() throws {
        var fds: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        let reader = UnixSocket(fd: fds[0])
        let writeEnd = fds[1]
        var long = [UInt8](repeating: 0, count: 8 << 20)
        for i in long.indices { long[i] = UInt8(ascii: "a") + UInt8(i % 26) }
        let message = long + [10] + Array("short\n".utf8) + Array("tail".utf8)
        let writer = Thread {
            var offset = 0
            while offset < message.count {
                let count = min(4096, message.count - offset)
                let n = message.withUnsafeBytes { send(writeEnd, $0.baseAddress! + offset, count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { break }
                offset += n
            }
            close(writeEnd)
        }
        writer.start()
        let first = try #require(reader.readLine(timeout: 60))
        #expect(first.utf8.count == long.count)
        #expect(Array(first.utf8) == long)
        #expect(reader.readLine(timeout: 60) == "short")
        // Each byte up to the second newline searched once.
        #expect(reader.bytesSearched == long.count + 1 + 6, "searched \(reader.bytesSearched) bytes")
        // A last piece without a newline is no line.
        #expect(reader.readLine(timeout: 60) == nil)
    }
}
