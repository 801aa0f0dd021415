import Glibc

/// Describes a tree the way a streaming receiver sees it, so a sender can
/// work out what changed (see ``TreeStreamWriter/write(root:to:since:)``).
public enum TreeManifest {
    /// One entry per object below `root` (the root itself excluded), found
    /// with an `lstat` walk that never follows symlinks, sorted by path bytes.
    ///
    /// Sockets are left out because tree streams do not carry them. Entries
    /// that vanish while the walk runs are left out rather than reported as
    /// errors, so a live tree can be described. For counts and sizes alone,
    /// ``TreeSize`` walks without keeping entries.
    public static func build(root: String) throws -> [TreeManifestEntry] {
        do {
            let directory = try Posix.openRoot(root)
            return try TreeScanner.scan(root: directory.raw, includeXattrDigests: true).map(\.manifestEntry)
        } catch let problem as TreeProblem {
            throw TreeError(operation: "cannot build manifest of tree \(root)", problem)
        }
    }
}
