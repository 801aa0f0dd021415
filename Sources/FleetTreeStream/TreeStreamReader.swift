import FleetTree
import Glibc

/// Receives a tree stream (format on ``TreeStreamFormat``) into a directory,
/// treating the stream as hostile: it can only create, replace and delete
/// entries inside the root, never through a symlink, never device nodes
/// other than overlay whiteouts, and every length it announces is bounded.
public enum TreeStreamReader {
    /// Applies a stream into the existing directory `root` (creating, replacing and deleting entries), then
    /// restores directory times. Returns what it applied.
    ///
    /// Directories named by the stream get its owner, mode and time after
    /// everything else; other directories whose content changed get their old
    /// modification time back, so the result matches the sender's manifest.
    /// On failure (a refused record, a cut-off stream) what was applied so far
    /// stays; the tree holds no partial file under a real name and can be
    /// removed, which is what a caller should do with a failed staging tree
    /// (a crash of this process, though, can leave one with `newNamesInPlace`).
    /// The source is never read past the stream's end record.
    public static func apply<S: ByteSource>(from source: inout S, into root: String) throws -> TreeStreamStats {
        var none: DigestCache?
        return try apply(from: &source, into: root, digests: &none)
    }

    /// The same, also recording in `digests` (when set) the content digest of
    /// every file it writes, read back from the file once written, with the
    /// file's final status (see ``DigestCache/recordWritten``). For a
    /// staging area only this stream writes to.
    ///
    /// With `newNamesInPlace`, an entry whose name does not exist yet is
    /// written under that name directly instead of a temporary name renamed
    /// into place (a quarter of the receiver's CPU for many small files).
    /// Only for a staging tree that nothing reads before the stream has ended
    /// and its digest was checked: a crash of this process mid-file can leave
    /// a partial file under its real name (a failure it survives removes the
    /// file). Existing names are always replaced by rename.
    ///
    /// With `owners`, entries owned in the source guest's id range are
    /// written owned in the destination's (see ``StreamOwnerMapper``).
    ///
    /// With `newNamesInPlace` and `writerThreads` > 0, that many threads
    /// create the regular files of up to 1 MiB while this one reads on
    /// (``TreeStreamFileWriters``): for many small files the kernel's work
    /// of creating them is most of the time, and it runs on several cores.
    /// The result is the same as with none; on failure, every writer has
    /// stopped before this returns.
    public static func apply<S: ByteSource>(
        from source: inout S, into root: String, digests: inout DigestCache?, newNamesInPlace: Bool = false,
        owners: StreamOwnerMapper? = nil, writerThreads: Int = 0
    ) throws -> TreeStreamStats {
        let operation = "cannot apply tree stream into \(root)"
        do {
            let directory = try Posix.openRoot(root)
            let applier = TreeStreamApplier(source: source, root: directory.raw)
            applier.digests = digests
            applier.createsNewNamesInPlace = newNamesInPlace
            applier.owners = owners
            applier.writerThreads = writerThreads
            defer {
                source = applier.source
                digests = applier.digests
            }
            return try applier.run()
        } catch let problem as TreeProblem {
            throw TreeError(operation: operation, problem)
        } catch let failure as TreeError {
            // The source's own failure, e.g. a cut-off ChunkedReader.
            throw TreeError(
                operation: operation, path: failure.path, problem: "reading the stream failed: \(failure.operation): \(failure.problem)",
                remedy: failure.remedy, errnoCode: failure.errnoCode)
        }
    }
}
