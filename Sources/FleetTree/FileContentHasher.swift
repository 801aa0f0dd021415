import Glibc

/// Hashes file contents through one reusable 1 MiB buffer, so digesting a
/// tree of thousands of files allocates the buffer once, not per file.
package final class FileContentHasher {
    package static let bufferSize = 1 << 20

    private let buffer: UnsafeMutableRawBufferPointer

    package init() {
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 4096)
    }

    deinit {
        buffer.deallocate()
    }

    /// Reads `descriptor` from its current offset to the end.
    package func digest(of descriptor: Int32, displayPath: String) throws -> (digest: String, bytes: UInt64) {
        // Only a hint to read ahead aggressively; failure changes nothing.
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)
        var hasher = SHA256Hasher()
        var total: UInt64 = 0
        while true {
            let count = try Posix.read(descriptor, into: buffer, displayPath: displayPath)
            if count == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            total += UInt64(count)
        }
        return (hasher.finalizeHex(), total)
    }
}
