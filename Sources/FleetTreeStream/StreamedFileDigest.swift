import FleetTree

/// The SHA-256 of one file's content taken from the extents a tree stream
/// sends, holes counted as the zeros they read as: the digest
/// ``TreeDigester`` computes by reading the file, without reading it again.
final class StreamedFileDigest {
    private var hasher: SHA256Hasher? = SHA256Hasher()
    /// The content hashed so far ends here.
    private var position: Int64 = 0

    /// Adds `bytes`, found at `offset` (at or after what came before).
    func add(_ bytes: UnsafeRawBufferPointer, at offset: Int64) {
        addZeros(upTo: offset)
        hasher?.update(bytes)
        position = offset + Int64(bytes.count)
    }

    /// The digest of a file of `size` bytes whose data was added (the rest is holes).
    func finish(size: Int64) -> String {
        addZeros(upTo: size)
        return hasher.take()!.finalizeHex()
    }

    private func addZeros(upTo end: Int64) {
        guard end > position else { return }
        let zeros = [UInt8](repeating: 0, count: Int(min(end - position, 1 << 20)))
        zeros.withUnsafeBytes { buffer in
            while position < end {
                let count = Int(min(end - position, Int64(buffer.count)))
                hasher?.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                position += Int64(count)
            }
        }
    }
}
