import Glibc

/// Describes a tree the way a streaming receiver sees it, so a sender can
/// work out what changed (see ``TreeStreamWriter/write(root:to:since:)``).
public enum TreeManifest {
    /// One entry per object below `root` (the root itself excluded), found
    /// with an `lstat` walk that never follows symlinks, sorted by path bytes.
    ///
    /// Sockets are left out because tree streams do not carry them. Entries
    /// that vanish while the walk runs are left out rather than reported as
    /// errors, so a live tree can be described.
    public static func build(root: String) throws -> [TreeManifestEntry] {
        do {
            let directory = try Posix.openRoot(root)
            return try TreeScanner.scan(root: directory.raw, includeXattrDigests: true).map(\.manifestEntry)
        } catch let problem as TreeProblem {
            throw TreeError(operation: "cannot build manifest of tree \(root)", problem)
        }
    }

    /// What a receiver holds after a whole-tree stream of a live tree, for
    /// the next delta: every path listed `before` the stream (with that
    /// older, so conservative, metadata: whatever changed since is resent)
    /// and every path the stream's own scan found that `before` lacks (a
    /// file created in between travelled too; without it here a delta
    /// would never delete it, and the receiver would keep a file the
    /// sender no longer has). Paths listed before but gone at the scan stay
    /// in: the delta deletes them, which the receiver takes as a no-op.
    /// A delta looks entries up by path, so the order does not matter.
    public static func received(before: [TreeManifestEntry], scanned: [TreeManifestEntry]) -> [TreeManifestEntry] {
        let listed = Set(before.map(\.path))
        let added = scanned.filter { !listed.contains($0.path) }
        return added.isEmpty ? before : before + added
    }
}
