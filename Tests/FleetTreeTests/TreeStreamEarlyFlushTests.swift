import FleetTestSupport
import FleetTree
import FleetTreeStream
import Foundation
import Testing

/// The first bytes of a stream leave the sender early: for many small files
/// the receiver has more work per byte than the sender, and every byte held
/// back at the start is time the receiver waits with nothing to apply (a
/// profile of a 50,052-file move showed it idle for the sender's first MiB).
@Suite(.tags(.unit)) struct TreeStreamEarlyFlushTests {
    /// Records each write's size, and the bytes.
    struct RecordingSink: ByteSink {
        var writes: [Int] = []
        var bytes: [UInt8] = []
        mutating func write(_ buffer: UnsafeRawBufferPointer) throws {
            writes.append(buffer.count)
            bytes.append(contentsOf: buffer.assumingMemoryBound(to: UInt8.self))
        }
    }

    @Test func theEncodersFirstFlushesAreSmallAndGrowToTheWholeBuffer() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let source = directory + "/source"
        try TestDirectory.makeDirectory(source)
        // About 2.5 MB of small files, and one file larger than the buffer.
        for d in 0..<25 {
            try TestDirectory.makeDirectory(source + "/d\(d)")
            for f in 0..<100 {
                try TestDirectory.writeFile(source + "/d\(d)/f\(f)", String(repeating: "\(d).\(f) ", count: 150))
            }
        }
        try TestDirectory.writeFile(source + "/large", try StreamFixture.randomBytes(3 << 20))
        var sink = RecordingSink()
        _ = try TreeStreamWriter.write(root: source, to: &sink)

        let writes = sink.writes
        #expect(writes.count >= 5, "\(writes)")
        // 128 KiB, then at most twice the last limit, up to the 1 MiB buffer.
        for (index, size) in writes.enumerated() {
            #expect(size <= min((128 << 10) << index, 1 << 20), "write \(index) of \(writes)")
        }
        #expect(writes.max() == 1 << 20, "the buffer is still used whole: \(writes)")

        // The stream is the same stream: it applies to the same tree.
        let copy = directory + "/copy"
        try TestDirectory.makeDirectory(copy)
        var reader = MemorySource(sink.bytes, maximumRead: 70_001)
        _ = try TreeStreamReader.apply(from: &reader, into: copy)
        try StreamFixture.expectSameTrees(source, copy)
    }

    @Test func aChunkedWriteOfAtLeast64KiBWithNothingPendingGoesOutAtOnce() throws {
        var writer = ChunkedWriter(RecordingSink(), chunkSize: 256 << 10)
        let first = try StreamFixture.randomBytes(100 << 10)
        try first.withUnsafeBytes { try writer.write($0) }
        // Sent before any more is written or the stream is finished.
        #expect(writer.sink.writes.count == 2, "a header and the payload: \(writer.sink.writes)")
        #expect(Array(writer.sink.bytes.prefix(4)) == [0, 1, 0x90, 0])
        #expect(writer.sink.bytes.dropFirst(4).elementsEqual(first))

        // Small writes still gather into one chunk, and a large write behind
        // them fills that chunk first.
        let small = try StreamFixture.randomBytes(1000)
        try small.withUnsafeBytes { try writer.write($0) }
        #expect(writer.sink.bytes.count == 4 + first.count)
        let large = try StreamFixture.randomBytes(600 << 10)
        try large.withUnsafeBytes { try writer.write($0) }
        // 1000 + 600 KiB: one full chunk (the 1000 pending, then the write's
        // first bytes), one whole chunk straight from the write, and what is
        // left (over 64 KiB) at once too.
        let chunks = try Self.chunkLengths(writer.sink.bytes)
        #expect(chunks == [100 << 10, 256 << 10, 256 << 10, 1000 + (600 << 10) - (512 << 10)])
        try writer.finish()
        var reader = ChunkedReader(MemorySource(writer.sink.bytes, maximumRead: 3001))
        var back: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_537)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if count == 0 { break }
            back += buffer[0..<count]
        }
        #expect(back == first + small + large)
    }

    /// The payload lengths of the chunks in `framed` (no end chunk expected).
    static func chunkLengths(_ framed: [UInt8]) throws -> [Int] {
        var lengths: [Int] = []
        var offset = 0
        while offset < framed.count {
            let length = framed[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            lengths.append(length)
            offset += 4 + length
        }
        #expect(offset == framed.count, "the chunks end on a chunk boundary")
        return lengths
    }
}
