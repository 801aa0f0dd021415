/// Everything the digest needs about one entry, with names kept as the raw
/// bytes found on disk so the digest is exact even for non-UTF-8 names.
struct ScannedEntry {
    var path: [UInt8]
    var kind: TreeEntryKind
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var size: UInt64
    var linkTarget: [UInt8]?
    var contentDigest: String?
    var device: (major: UInt64, minor: UInt64)?

    var treeEntry: TreeEntry {
        TreeEntry(
            path: Posix.display(path),
            kind: kind,
            mode: mode,
            uid: uid,
            gid: gid,
            size: size,
            linkTarget: linkTarget.map(Posix.display),
            contentDigest: contentDigest
        )
    }
}
