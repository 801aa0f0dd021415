import FleetTree
import Glibc

/// Sends a directory tree as a tree stream (format on ``TreeStreamFormat``),
/// whole or as a delta against what the receiver already has.
///
/// Migration uses it twice on the guest's overlay upper directory: a full
/// pre-copy while the guest runs, then, with the guest stopped, a delta
/// against the manifest of what the receiver got. The pre-copy tolerates the
/// live tree: entries that vanish are skipped, a file that changes while
/// being read is sent as read (with the metadata seen before reading, so the
/// delta resends it), and the stream stays well-formed.
public enum TreeStreamWriter {
    /// Streams the tree at `root`. With `since` (the receiver's manifest), only entries that differ from it
    /// (any manifest field), plus deletions of receiver paths absent here, are sent. Never follows symlinks.
    ///
    /// Device nodes other than overlay whiteouts (character devices 0:0) are
    /// an error, since the receiver refuses them; sockets are skipped.
    /// `sink` sees everything written before a failure; the stream is then
    /// incomplete and the receiver will fail on it.
    public static func write<S: ByteSink>(
        root: String, to sink: inout S, since: [TreeManifestEntry]? = nil
    ) throws -> TreeStreamStats {
        var none: DigestCache?
        return try write(root: root, to: &sink, since: since, digests: &none)
    }

    /// The same, also recording in `digests` (when set) the content digest of
    /// every file sent, hashed from the data read for the stream under the
    /// cache's usual trust rules; a whole-tree stream also drops the entries
    /// of paths no longer in the tree. A later digest of the tree, once it
    /// is still, then reads only what changed since.
    public static func write<S: ByteSink>(
        root: String, to sink: inout S, since: [TreeManifestEntry]?, digests: inout DigestCache?
    ) throws -> TreeStreamStats {
        var scanned: [TreeManifestEntry]?
        return try write(root: root, to: &sink, since: since, digests: &digests, manifest: &scanned)
    }

    /// The same, also returning in `scanned` the manifest of what the
    /// receiver holds after the stream (whole or delta) (see
    /// ``TreeStreamEncoder/scanned``), for the next delta: the stream's own
    /// scan, taken before any content was read, as ``TreeManifest/build(root:)``
    /// would list it. No second walk of the tree is needed for it, and a path
    /// created just before the stream, which travels, is in it, so the next
    /// delta deletes it if it goes.
    public static func write<S: ByteSink>(
        root: String, to sink: inout S, since: [TreeManifestEntry]?, digests: inout DigestCache?,
        scanned: inout [TreeManifestEntry]
    ) throws -> TreeStreamStats {
        var manifest: [TreeManifestEntry]? = []
        defer { scanned = manifest ?? [] }
        return try write(root: root, to: &sink, since: since, digests: &digests, manifest: &manifest)
    }

    /// The same, with the xattr digests of an earlier stream of this tree
    /// (`reuse`, see ``XattrReuse``) for the scan to take instead of reading
    /// them again, and returning in `reusable` this stream's, for the next:
    /// a move's delta, while the guest is stopped, then reads the attributes
    /// only of entries changed since its pre-copy.
    package static func write<S: ByteSink>(
        root: String, to sink: inout S, since: [TreeManifestEntry]?, digests: inout DigestCache?,
        scanned: inout [TreeManifestEntry], reuse: XattrReuse?, reusable: inout XattrReuse?
    ) throws -> TreeStreamStats {
        var manifest: [TreeManifestEntry]? = []
        var noNodes: [ScannedNode]?
        var kept: XattrReuse?? = .some(nil)
        defer {
            scanned = manifest ?? []
            reusable = kept ?? nil
        }
        return try write(root: root, to: &sink, since: since, digests: &digests, manifest: &manifest, nodes: &noNodes, reuse: reuse,
                         reusable: &kept)
    }

    /// The same, returning in `nodes` the stream's scan itself (every entry
    /// the stream can carry, sorted by path bytes, with its whole `lstat`),
    /// for a tree that holds still until the caller is done with it: a
    /// replica's frozen delta takes the point's digest from it
    /// (``TreeDigester/entries(of:root:cache:)``) instead of a second walk.
    /// With `reuse`, the scan takes the xattr digests of entries an earlier
    /// scan saw unchanged from it (a replica's frozen delta, after its
    /// running one; ``XattrReuse`` says when that is safe).
    package static func write<S: ByteSink>(
        root: String, to sink: inout S, since: [TreeManifestEntry]?, digests: inout DigestCache?,
        nodes: inout [ScannedNode], reuse: XattrReuse? = nil
    ) throws -> TreeStreamStats {
        var noManifest: [TreeManifestEntry]?
        var kept: [ScannedNode]? = []
        var noReusable: XattrReuse??
        defer { nodes = kept ?? [] }
        return try write(root: root, to: &sink, since: since, digests: &digests, manifest: &noManifest, nodes: &kept, reuse: reuse,
                         reusable: &noReusable)
    }

    /// `manifest`: nil to keep no manifest, else it receives the scan's.
    private static func write<S: ByteSink>(
        root: String, to sink: inout S, since: [TreeManifestEntry]?, digests: inout DigestCache?,
        manifest scanned: inout [TreeManifestEntry]?
    ) throws -> TreeStreamStats {
        var noNodes: [ScannedNode]?
        var noReusable: XattrReuse??
        return try write(root: root, to: &sink, since: since, digests: &digests, manifest: &scanned, nodes: &noNodes, reuse: nil,
                         reusable: &noReusable)
    }

    /// `nodes`: nil to keep no scan, else it receives it; `reusable`: nil
    /// to keep no xattr digests for a later stream, else it receives them.
    private static func write<S: ByteSink>(
        root: String, to sink: inout S, since: [TreeManifestEntry]?, digests: inout DigestCache?,
        manifest scanned: inout [TreeManifestEntry]?, nodes: inout [ScannedNode]?, reuse: XattrReuse?,
        reusable: inout XattrReuse??
    ) throws -> TreeStreamStats {
        let operation = "cannot stream tree \(root)"
        do {
            let directory = try Posix.openRoot(root)
            let encoder = TreeStreamEncoder(sink: sink, root: directory.raw)
            encoder.digests = digests
            encoder.keepsManifest = scanned != nil
            encoder.keepsNodes = nodes != nil
            encoder.xattrReuse = reuse
            encoder.keepsReusable = reusable != nil
            defer {
                sink = encoder.sink
                digests = encoder.digests
                if scanned != nil { scanned = encoder.scanned }
                if nodes != nil { nodes = encoder.nodes }
                if reusable != nil { reusable = .some(encoder.reusable) }
            }
            return try encoder.run(since: since)
        } catch let problem as TreeProblem {
            throw TreeError(operation: operation, problem)
        } catch let failure as TreeError {
            // The sink's own failure, e.g. the receiver closed the pipe.
            throw TreeError(
                operation: operation, path: failure.path, problem: "writing the stream failed: \(failure.operation): \(failure.problem)",
                remedy: failure.remedy, errnoCode: failure.errnoCode)
        }
    }
}
