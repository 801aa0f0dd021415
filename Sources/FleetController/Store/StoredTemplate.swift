import FleetProtocol
import GRDB

/// A template kept at the controller as a tar archive (table `templates`).
public struct StoredTemplate: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "templates"

    public var name: String
    public var digest: String
    public var fileCount: Int
    public var totalBytes: UInt64
    /// The archive streamed to hosts (under the controller's data directory).
    public var archivePath: String
    public var archiveBytes: UInt64
    public var addedAt: Double

    public init(name: String, digest: String, fileCount: Int, totalBytes: UInt64, archivePath: String, archiveBytes: UInt64, addedAt: Double) {
        self.name = name
        self.digest = digest
        self.fileCount = fileCount
        self.totalBytes = totalBytes
        self.archivePath = archivePath
        self.archiveBytes = archiveBytes
        self.addedAt = addedAt
    }
}
