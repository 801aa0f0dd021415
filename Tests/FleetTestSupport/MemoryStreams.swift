import FleetTreeStream

/// Collects a stream in memory (an export's stream, to feed an import).
public struct MemorySink: ByteSink {
    public init() {}
    public var bytes: [UInt8] = []

    public mutating func write(_ buffer: UnsafeRawBufferPointer) throws {
        bytes.append(contentsOf: buffer.assumingMemoryBound(to: UInt8.self))
    }
}

/// Replays bytes, at most `maximumRead` per call, so readers meet short reads.
public struct MemorySource: ByteSource {
    public let bytes: [UInt8]
    public var offset = 0
    public var maximumRead: Int

    public init(_ bytes: [UInt8], maximumRead: Int = .max) {
        self.bytes = bytes
        self.maximumRead = maximumRead
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count - offset, maximumRead)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}
