import FleetTree

/// Buffered reading of a tar stream in 512-byte blocks and member-sized runs.
///
/// One 1 MiB buffer serves headers and file data alike, so extracting a
/// large archive costs a fixed amount of memory.
final class TarBlockReader {
    static let blockSize = 512

    private let source: ArchiveByteSource
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    /// Bytes handed out so far: the offset of the next block in the tar stream.
    private(set) var offset: UInt64 = 0

    init(source: ArchiveByteSource) {
        self.source = source
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
    }

    deinit {
        buffer.deallocate()
    }

    /// The next 512-byte block, or nil when the stream ends exactly here.
    func readBlock(describing what: @autoclosure () -> String) throws -> [UInt8]? {
        if end - start < Self.blockSize {
            try fill(atLeast: Self.blockSize)
            if start == end { return nil }
            if end - start < Self.blockSize { throw truncated(what()) }
        }
        let block = Array(buffer[start..<(start + Self.blockSize)])
        consume(Self.blockSize)
        return block
    }

    /// Exactly `count` bytes (for metadata payloads, which are size-limited by the caller).
    func readBytes(_ count: Int, describing what: @autoclosure () -> String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        try stream(UInt64(count), describing: what()) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Passes exactly `count` bytes to `body` in chunks as they arrive.
    func stream(
        _ count: UInt64, describing what: @autoclosure () -> String, _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var remaining = count
        while remaining > 0 {
            if start == end {
                try fill(atLeast: 1)
                if start == end { throw truncated(what()) }
            }
            let chunk = Int(min(UInt64(end - start), remaining))
            try body(UnsafeRawBufferPointer(rebasing: buffer[start..<(start + chunk)]))
            consume(chunk)
            remaining -= UInt64(chunk)
        }
    }

    func skip(_ count: UInt64, describing what: @autoclosure () -> String) throws {
        try stream(count, describing: what()) { _ in }
    }

    private func consume(_ count: Int) {
        start += count
        offset += UInt64(count)
    }

    /// Reads until at least `minimum` bytes are buffered or the source ends.
    private func fill(atLeast minimum: Int) throws {
        if start > 0 {
            let kept = end - start
            if kept > 0 {
                buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: kept)
            }
            start = 0
            end = kept
        }
        while end < minimum {
            let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
            if count == 0 { return }
            end += count
        }
    }

    private func truncated(_ what: String) -> TreeProblem {
        TreeProblem(
            path: nil,
            problem: "the archive ends in the middle of \(what) (at byte \(offset))",
            remedy: "the archive is truncated; re-create or re-download it"
        )
    }
}
