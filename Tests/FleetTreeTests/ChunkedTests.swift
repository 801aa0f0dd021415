import FleetTestSupport
import FleetTree
import FleetTreeStream
import Foundation
import Testing

@Suite(.tags(.unit)) struct ChunkedTests {
    /// Writes `data` in pieces of the given sizes (cycled) through a ChunkedWriter.
    private func frame(_ data: [UInt8], chunkSize: Int, pieces: [Int]) throws -> [UInt8] {
        var writer = ChunkedWriter(MemorySink(), chunkSize: chunkSize)
        var offset = 0
        var index = 0
        while offset < data.count {
            let count = min(pieces[index % pieces.count], data.count - offset)
            try data.withUnsafeBytes { try writer.write(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
            offset += count
            index += 1
        }
        try writer.finish()
        return writer.sink.bytes
    }

    private func unframe(_ framed: [UInt8], maximumRead: Int, bufferSize: Int) throws -> (data: [UInt8], reader: ChunkedReader<MemorySource>) {
        var reader = ChunkedReader(MemorySource(framed, maximumRead: maximumRead))
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: bufferSize)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if count == 0 { break }
            result += buffer[0..<count]
        }
        return (result, reader)
    }

    @Test(arguments: [1, 7, 4096, 65_537, 256 * 1024])
    func roundTripWithOddSizes(chunkSize: Int) throws {
        let data = try StreamFixture.randomBytes(chunkSize == 1 ? 5000 : 700_001)
        let framed = try frame(data, chunkSize: chunkSize, pieces: [1, 3, 1000, 65_536, 300_000, 17])
        let (read, reader) = try unframe(framed, maximumRead: 3, bufferSize: 100_003)
        #expect(read == data)
        #expect(reader.finished)
        let (readFast, _) = try unframe(framed, maximumRead: .max, bufferSize: 1 << 20)
        #expect(readFast == data)
    }

    @Test func framingIsBigEndianLengthsEndedByZero() throws {
        let framed = try frame(Array("hello world".utf8), chunkSize: 5, pieces: [11])
        #expect(framed == [0, 0, 0, 5] + Array("hello".utf8) + [0, 0, 0, 5] + Array(" worl".utf8)
            + [0, 0, 0, 1] + Array("d".utf8) + [0, 0, 0, 0])
        // An empty stream is just the end chunk.
        #expect(try frame([], chunkSize: 5, pieces: [1]) == [0, 0, 0, 0])
    }

    @Test func readerStopsAtTheEndChunkAndLeavesTheRest() throws {
        let framed = try frame(Array("abc".utf8), chunkSize: 16, pieces: [3])
        var reader = ChunkedReader(MemorySource(framed + Array("next".utf8)))
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(try buffer.withUnsafeMutableBytes { try reader.read(into: $0) } == 3)
        #expect(try buffer.withUnsafeMutableBytes { try reader.read(into: $0) } == 0)
        #expect(try buffer.withUnsafeMutableBytes { try reader.read(into: $0) } == 0)
        #expect(reader.finished)
        #expect(reader.source.offset == framed.count)
    }

    @Test func cutOffStreamIsAnError() throws {
        let data = try StreamFixture.randomBytes(10_000)
        let framed = try frame(data, chunkSize: 4096, pieces: [10_000])
        // Mid-chunk, mid-header, exactly at a chunk boundary, and just before the end chunk.
        for cut in [1, 2, 100, 4100, 4101, 4102, framed.count / 2, framed.count - 4, framed.count - 1] {
            let error = try #require(throws: TreeError.self, "cut at \(cut)") {
                _ = try unframe(Array(framed[0..<cut]), maximumRead: 1000, bufferSize: 4096)
            }
            #expect(error.description.contains("cut off"), "\(error)")
        }
        let empty = try #require(throws: TreeError.self) { _ = try unframe([], maximumRead: 10, bufferSize: 10) }
        #expect(empty.description.contains("cut off"))
    }

    @Test func writesAfterFinishAreRefused() throws {
        var writer = ChunkedWriter(MemorySink(), chunkSize: 8)
        try writer.finish()
        #expect(throws: TreeError.self) {
            try [UInt8(1)].withUnsafeBytes { try writer.write($0) }
        }
    }

    @Test func treeStreamThroughChunkedFramingAndACutOffRelay() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let source = directory + "/source"
        try TestDirectory.makeDirectory(source)
        try StreamFixture.makeSourceTree(at: source)

        var writer = ChunkedWriter(MemorySink(), chunkSize: 10_007)
        let sent = try TreeStreamWriter.write(root: source, to: &writer)
        try writer.finish()
        let framed = writer.sink.bytes

        try TestDirectory.makeDirectory(directory + "/whole")
        var reader = ChunkedReader(MemorySource(framed, maximumRead: 4093))
        let applied = try TreeStreamReader.apply(from: &reader, into: directory + "/whole")
        #expect(applied == sent)
        try StreamFixture.expectSameTrees(source, directory + "/whole")

        // The relay dies half-way: the tree reader reports the framing's error.
        try TestDirectory.makeDirectory(directory + "/cut")
        var cutReader = ChunkedReader(MemorySource(Array(framed[0..<(framed.count / 2)])))
        let error = try #require(throws: TreeError.self) {
            try TreeStreamReader.apply(from: &cutReader, into: directory + "/cut")
        }
        #expect(error.description.contains("the stream was cut off"), "\(error)")
    }
}
