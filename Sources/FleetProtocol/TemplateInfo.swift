/// A template as listed by an agent (and later stored by the controller).
public struct TemplateInfo: Codable, Sendable, Equatable {
    public var name: String
    /// SHA-256 over the whole tree (FleetTree's canonical records).
    public var digest: String
    public var fileCount: Int
    public var totalBytes: UInt64
    public var initStyle: InitStyle
    /// The default init argv of guests made from it.
    public var defaultInit: [String]
    /// Where it came from: "busybox", "import:/path", …
    public var source: String
    /// Seconds since the epoch.
    public var createdAt: Double

    public init(name: String, digest: String, fileCount: Int, totalBytes: UInt64, initStyle: InitStyle,
                defaultInit: [String], source: String, createdAt: Double) {
        self.name = name
        self.digest = digest
        self.fileCount = fileCount
        self.totalBytes = totalBytes
        self.initStyle = initStyle
        self.defaultInit = defaultInit
        self.source = source
        self.createdAt = createdAt
    }
}
