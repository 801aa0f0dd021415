import Foundation

/// Bytes received but not yet handed to the caller, split into lines on
/// demand. Lines may be megabytes long, so the search for "\n" resumes where
/// the previous one stopped instead of rescanning, and consumed bytes are
/// dropped in bulk rather than one line at a time.
public struct LineBuffer: Sendable {
    public init() {}

    private var bytes: [UInt8] = []
    /// First byte not yet handed out.
    private var start = 0
    /// Bytes before this index (from `start`) are known to hold no "\n".
    private var scanned = 0
    /// Bytes searched for "\n" so far: each once, however many pieces a
    /// line arrives in (tests hold it to the bytes received).
    public private(set) var bytesSearched = 0

    public var count: Int { bytes.count - start }
    public var isEmpty: Bool { count == 0 }

    public mutating func append(_ chunk: [UInt8]) {
        bytes.append(contentsOf: chunk)
    }

    /// The next complete line without its "\n", or nil if none is buffered.
    public mutating func takeLine() -> [UInt8]? {
        let from = max(scanned, start)
        let newline: Int? = bytes.withUnsafeBufferPointer { buffer in
            guard from < buffer.count, let base = buffer.baseAddress else { return nil }
            guard let hit = memchr(base + from, 0x0A, buffer.count - from) else { return nil }
            return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        }
        bytesSearched += (newline.map { $0 + 1 } ?? bytes.count) - from
        guard let newline else {
            scanned = bytes.count
            return nil
        }
        let line = Array(bytes[start..<newline])
        consume(upTo: newline + 1)
        return line
    }

    /// Up to `max` buffered bytes.
    public mutating func take(max: Int) -> Data {
        let end = start + min(max, count)
        let chunk = Data(bytes[start..<end])
        consume(upTo: end)
        return chunk
    }

    public mutating func takeAll() -> [UInt8] {
        let rest = Array(bytes[start...])
        consume(upTo: bytes.count)
        return rest
    }

    private mutating func consume(upTo end: Int) {
        start = end
        scanned = max(scanned, start)
        // Compact once the dead prefix dominates, keeping appends amortised O(1).
        if start == bytes.count {
            bytes.removeAll(keepingCapacity: bytes.count <= 1 << 20)
            start = 0
            scanned = 0
        } else if start >= 1 << 16, start * 2 >= bytes.count {
            bytes.removeSubrange(0..<start)
            scanned -= start
            start = 0
        }
    }
}
