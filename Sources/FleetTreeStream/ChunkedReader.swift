import FleetTree

/// Reads a stream framed by ``ChunkedWriter``, returning only the payload.
///
/// `read` returns 0 once the zero-length end chunk has been read (and from
/// then on); input that ends before the end chunk is an error, never a quiet
/// end of stream. The reader never reads past the end chunk, so whatever the
/// source carries after it is left for the caller.
public struct ChunkedReader<Source: ByteSource>: ByteSource {
    public var source: Source
    /// Whether the end chunk has been read.
    public private(set) var finished = false
    /// Payload bytes of the current chunk not read yet.
    private var remainingInChunk = 0

    public init(_ source: Source) {
        self.source = source
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if finished || buffer.count == 0 { return 0 }
        while remainingInChunk == 0 {
            let length = try readHeader()
            if length == 0 {
                finished = true
                return 0
            }
            remainingInChunk = length
        }
        let wanted = min(buffer.count, remainingInChunk)
        let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]))
        if count == 0 { throw Self.cutOff("in the middle of a chunk") }
        remainingInChunk -= count
        return count
    }

    private mutating func readHeader() throws -> Int {
        var header: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        var filled = 0
        try withUnsafeMutableBytes(of: &header) { raw in
            while filled < 4 {
                let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled..<4]))
                if count == 0 {
                    throw Self.cutOff(filled == 0 ? "before its end chunk" : "in the middle of a chunk header")
                }
                filled += count
            }
        }
        return Int(header.0) << 24 | Int(header.1) << 16 | Int(header.2) << 8 | Int(header.3)
    }

    private static func cutOff(_ where: String) -> TreeError {
        TreeError(
            operation: "cannot read chunked stream",
            problem: "the stream was cut off: the input ended \(`where`)",
            remedy: "check the sending side and the connection, then retry the transfer")
    }
}

extension ChunkedReader: Sendable where Source: Sendable {}
