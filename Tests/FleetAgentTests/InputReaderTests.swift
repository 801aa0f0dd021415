@testable import FleetAgent
import FleetTestSupport
import Foundation
import Glibc
import Testing

/// The agent's RPC input carries lines and, after a bulk request, raw bytes;
/// large reads skip its buffer when nothing is buffered. No byte may be lost
/// or reordered across the switches between the two ways of reading.
@Suite(.tags(.unit)) struct InputReaderTests {
    @Test func linesAndBulkBytesInterleaveWithoutLoss() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer { close(fds[0]) }
        var bulk = [UInt8](repeating: 0, count: 700_001)
        for i in bulk.indices { bulk[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
        let message = Array("first line\n".utf8) + bulk + Array("second line\nthird".utf8)
        let writeEnd = fds[1]
        // A pipe holds 64 KiB: the writer runs alongside, in odd pieces.
        let writer = Thread {
            var offset = 0
            var piece = 1
            while offset < message.count {
                let count = min(piece, message.count - offset)
                let n = message.withUnsafeBytes { write(writeEnd, $0.baseAddress! + offset, count) }
                if n <= 0 { break }
                offset += n
                piece = piece * 7 % 150_001 + 1
            }
            close(writeEnd)
        }
        writer.start()
        let reader = InputReader(fd: fds[0])
        #expect(reader.readLine() == "first line")
        var received: [UInt8] = []
        // Small and large reads, exactly up to the bulk's end.
        var sizes = [5, 40_000, 200_000, 3, 1 << 20]
        var index = 0
        while received.count < bulk.count {
            let want = min(sizes[index % sizes.count], bulk.count - received.count)
            var buffer = [UInt8](repeating: 0, count: want)
            let n = buffer.withUnsafeMutableBytes { reader.readSome(into: $0) }
            #expect(n > 0)
            if n <= 0 { break }
            received += buffer[0..<n]
            index += 1
            sizes[index % sizes.count] += 1
        }
        // Compared as a whole but reported briefly (the arrays are 700 KB).
        let firstDifference = zip(received, bulk).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(received.count == bulk.count && firstDifference == nil,
                "received \(received.count) of \(bulk.count) bytes, first difference at \(firstDifference.map(String.init) ?? "none")")
        #expect(reader.readLine() == "second line")
        #expect(reader.readLine() == "third")
        #expect(reader.readLine() == nil)
    }
}
