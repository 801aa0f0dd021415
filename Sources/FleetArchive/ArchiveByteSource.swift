import FleetTree

/// A stream of uncompressed tar bytes, read in chunks so an archive of any
/// size never has to fit in memory.
protocol ArchiveByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes; returns 0 at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int

    /// Called after the end-of-archive marker: checks that the whole stream
    /// was sound (for compressed input, that the decompressor succeeded).
    func finishAfterSuccess() throws

    /// Called after a failure: stops reading. Returns the source's own failure
    /// when that is the real cause (a truncated gzip stream shows up first as
    /// a truncated tar member, but the gzip error is the useful one).
    func abandon() -> TreeProblem?
}
