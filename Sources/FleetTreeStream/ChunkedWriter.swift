import FleetTree

/// Frames a byte stream for relaying through a third party (for example the
/// controller, which forwards bytes between two agents without parsing them):
///
///     chunk := length:UInt32 big-endian, then `length` bytes
///     end   := a chunk of length 0
///
/// The end chunk tells the receiver that the sender finished on purpose, so a
/// connection that breaks at a chunk boundary cannot pass for a complete
/// stream. ``ChunkedReader`` undoes the framing.
///
/// Bytes are collected until `chunkSize` are pending, then sent as one chunk
/// in a single write to the sink; ``finish()`` sends what is left and the end
/// chunk. Writes after ``finish()`` are refused. A write of at least
/// ``directMinimum`` bytes (or a whole chunk, if chunks are smaller) that
/// finds nothing pending goes out at once as its own chunk: a caller that
/// buffers already (the tree stream's encoder) is not held back a second
/// time, so the receiver starts on the first bytes as soon as they exist.
public struct ChunkedWriter<Sink: ByteSink>: ByteSink {
    public var sink: Sink
    public let chunkSize: Int
    /// Four header bytes, then up to `chunkSize` payload bytes.
    private var pending: [UInt8]
    private var pendingCount = 0
    public private(set) var finished = false

    /// The smallest write sent as a chunk of its own when nothing is pending.
    public static var directMinimum: Int { 64 << 10 }

    /// `chunkSize` must be between 1 and `UInt32.max`.
    public init(_ sink: Sink, chunkSize: Int = 256 * 1024) {
        precondition(chunkSize > 0 && UInt64(chunkSize) <= UInt64(UInt32.max), "ChunkedWriter: chunkSize out of range")
        self.sink = sink
        self.chunkSize = chunkSize
        pending = []
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished else {
            throw TreeError(
                operation: "cannot write chunked stream",
                problem: "the stream was already finished",
                remedy: "this is a bug in the caller: write everything before calling finish()")
        }
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let remaining = bytes.count - offset
            if pendingCount == 0 && remaining >= min(chunkSize, Self.directMinimum) {
                // Enough is at hand: send it from the caller's buffer, no copy.
                let count = min(remaining, chunkSize)
                let header = Self.header(count)
                try header.withUnsafeBytes { try sink.write($0) }
                try sink.write(UnsafeRawBufferPointer(start: base + offset, count: count))
                offset += count
                continue
            }
            if pending.isEmpty { pending = [UInt8](repeating: 0, count: 4 + chunkSize) }
            let take = min(remaining, chunkSize - pendingCount)
            let start = 4 + pendingCount
            pending.withUnsafeMutableBytes { buffer in
                (buffer.baseAddress! + start).copyMemory(from: base + offset, byteCount: take)
            }
            pendingCount += take
            offset += take
            if pendingCount == chunkSize { try flushPending() }
        }
    }

    /// Sends any pending bytes and the zero-length end chunk. The sink is not
    /// closed; it stays available through ``sink``.
    public mutating func finish() throws {
        guard !finished else { return }
        try flushPending()
        let end = Self.header(0)
        try end.withUnsafeBytes { try sink.write($0) }
        finished = true
    }

    private mutating func flushPending() throws {
        guard pendingCount > 0 else { return }
        let count = pendingCount
        let header = Self.header(count)
        pending.replaceSubrange(0..<4, with: header)
        try pending.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<(4 + count)])) }
        pendingCount = 0
    }

    private static func header(_ length: Int) -> [UInt8] {
        let value = UInt32(length)
        return [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
    }
}

extension ChunkedWriter: Sendable where Sink: Sendable {}
