import FleetTree

/// What ``TarImporter/extract(archive:into:)`` created.
public struct TarImportSummary: Sendable, Equatable {
    /// Members materialised in the destination (files, links, directories, FIFOs);
    /// metadata headers and the "." root member are not counted.
    public var entries: Int
    /// Bytes of regular file content written.
    public var bytes: UInt64

    public init(entries: Int, bytes: UInt64) {
        self.entries = entries
        self.bytes = bytes
    }
}
