/// Everything the digest needs about one entry, with names kept as the raw
/// bytes found on disk so the digest is exact even for non-UTF-8 names.
package struct ScannedEntry {
    package var path: [UInt8]
    package var kind: TreeEntryKind
    package var mode: UInt32
    package var uid: UInt32
    package var gid: UInt32
    package var size: UInt64
    package var linkTarget: [UInt8]?
    package var contentDigest: String?
    package var device: (major: UInt64, minor: UInt64)?

    package var treeEntry: TreeEntry {
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
