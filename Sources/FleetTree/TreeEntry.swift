/// One object below a tree root, described without following symlinks.
public struct TreeEntry: Codable, Sendable, Equatable {
    /// Path relative to the root: no leading "/", components joined by "/".
    /// Names that are not valid UTF-8 are decoded lossily here; the tree digest
    /// always uses the exact bytes.
    public var path: String
    public var kind: TreeEntryKind
    /// Permission bits including setuid/setgid/sticky (`st_mode & 0o7777`).
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    /// Content length for regular files; 0 for every other kind, because
    /// directory and symlink sizes depend on the file system, not the tree.
    public var size: UInt64
    /// Target of a symlink, exactly as stored; nil for other kinds.
    public var linkTarget: String?
    /// Lowercase hex SHA-256 of a regular file's content; nil for other kinds.
    public var contentDigest: String?

    public init(
        path: String,
        kind: TreeEntryKind,
        mode: UInt32,
        uid: UInt32,
        gid: UInt32,
        size: UInt64 = 0,
        linkTarget: String? = nil,
        contentDigest: String? = nil
    ) {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.linkTarget = linkTarget
        self.contentDigest = contentDigest
    }
}
