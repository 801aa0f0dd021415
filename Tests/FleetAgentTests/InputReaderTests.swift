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
        #expect(reader.readLine() == .line("first line"))
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
        #expect(reader.readLine() == .line("second line"))
        #expect(reader.readLine() == .line("third"))
        #expect(reader.readLine() == nil)
    }

    /// A line over the cap is reported by its length, dropped as it streams,
    /// and the lines around it come through intact.
    @Test func anOverlongLineIsDroppedAndTheNextLineIsRead() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let writeEnd = fds[1]
        let long = 3_000_000
        let writer = Thread {
            var message = Array("before\n".utf8)
            message += [UInt8](repeating: UInt8(ascii: "x"), count: long)
            message += Array("\nafter\n".utf8) + [UInt8](repeating: UInt8(ascii: "y"), count: 70_000) + Array("\nlast".utf8)
            var offset = 0
            while offset < message.count {
                let n = message.withUnsafeBytes { write(writeEnd, $0.baseAddress! + offset, min(100_000, message.count - offset)) }
                if n <= 0 { break }
                offset += n
            }
            close(writeEnd)
        }
        writer.start()
        let reader = InputReader(fd: fds[0], maxLineBytes: 65_536)
        #expect(reader.readLine() == .line("before"))
        #expect(reader.readLine() == .tooLong(bytes: long))
        // Never more than the cap and one read (256 KiB) held at once.
        #expect(reader.bufferCount <= 65_536 + 256 * 1024)
        #expect(reader.readLine() == .line("after"))
        #expect(reader.readLine() == .tooLong(bytes: 70_000))
        #expect(reader.readLine() == .line("last"))
        #expect(reader.readLine() == nil)
    }

    /// Exactly the cap is still a line; an overlong line that ends the input
    /// is reported, then the input ends.
    @Test func theCapIsInclusiveAndAnOverlongLastLineIsReported() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let message = Array(String(repeating: "a", count: 100).utf8) + [10] + Array(String(repeating: "b", count: 101).utf8)
        #expect(message.withUnsafeBytes { write(fds[1], $0.baseAddress!, $0.count) } == message.count)
        close(fds[1])
        let reader = InputReader(fd: fds[0], maxLineBytes: 100)
        #expect(reader.readLine() == .line(String(repeating: "a", count: 100)))
        #expect(reader.readLine() == .tooLong(bytes: 101))
        #expect(reader.readLine() == nil)
    }
}
