/// The identity of a whole tree: a digest over its canonical records plus
/// two cheap totals that help humans sanity-check it.
public struct TreeDigest: Codable, Sendable, Equatable {
    /// Lowercase hex SHA-256 over the canonical records (format documented on ``TreeDigester``).
    public var digest: String
    /// Number of entries below the root (the root itself is not counted).
    public var fileCount: Int
    /// Sum of regular file sizes; every hard-link name counts separately.
    public var totalBytes: UInt64

    public init(digest: String, fileCount: Int, totalBytes: UInt64) {
        self.digest = digest
        self.fileCount = fileCount
        self.totalBytes = totalBytes
    }
}
