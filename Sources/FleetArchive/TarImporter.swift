import FleetTree
import Glibc

/// Safe extraction of template archives with FleetTree's own tar reader.
///
/// Reads ustar, GNU and pax archives: regular files ('0', '\0', '7'), hard
/// links ('1'), symlinks ('2'), directories ('5', GNU 'D'), FIFOs ('6'),
/// GNU long names ('L', 'K'), pax extended headers ('x': path, linkpath,
/// size, uid, gid, mtime) and pax global headers ('g': only uid, gid and
/// mtime are honoured, as defaults for later members). Numeric fields may be
/// octal or GNU base-256. gzip, xz, zstd and bzip2 compression is recognised
/// by magic bytes and decompressed by piping through the external tool.
///
/// An archive is refused, and the destination emptied again, when a member
///  - has a ".." path component or an absolute path ("./" prefixes are fine),
///  - is a character or block device (vfleet provides /dev at start),
///  - is a hard link whose target is absolute, has "..", or is not a regular
///    file extracted earlier from the same archive,
///  - is a symlink whose target climbs above the tree root when resolved
///    lexically (absolute targets such as `/bin/busybox` resolve from the
///    tree root and are fine),
///  - has a path that goes through a symlink or file extracted earlier,
///  - would replace a directory with something else,
///  - has a corrupt header, an impossible size or id, or a name that is not
///    NUL-free UTF-8; or the archive is truncated or its compression is corrupt.
///
/// Modes (with setuid/setgid/sticky), numeric owners (when running as root)
/// and modification times are restored; directories get theirs after their
/// content. Not restored: user/group names, xattrs, ACLs, access times, and
/// the metadata of the "." member (the destination belongs to the caller).
public enum TarImporter {
    /// Extracts `archive` into `destination`, an existing empty directory.
    public static func extract(archive: String, into destination: String) throws -> TarImportSummary {
        let operation = "cannot import template archive \(archive)"
        do {
            let target = try Posix.openRoot(destination)
            guard try Posix.entryNames(ofDirectory: target.raw, displayPath: destination).isEmpty else {
                throw TreeProblem(
                    path: nil,
                    problem: "the destination \(destination) is not empty",
                    remedy: "extract into a new, empty directory"
                )
            }
            let source = try openSource(archive)
            let extractor = TarExtractor(root: target.raw)
            do {
                let reader = TarMemberReader(blocks: TarBlockReader(source: source))
                while let member = try reader.next() {
                    try extractor.extract(member, from: reader)
                }
                try extractor.finish()
                try source.finishAfterSuccess()
                return TarImportSummary(entries: extractor.entryCount, bytes: extractor.byteCount)
            } catch {
                let cause = source.abandon() ?? (error as? TreeProblem) ?? TreeProblem(
                    path: nil, problem: "\(error)", remedy: "check the archive and retry")
                extractor.releaseCachedParent()
                throw removingPartialExtraction(in: target.raw, destination: destination, after: cause)
            }
        } catch let problem as TreeProblem {
            throw TreeError(operation: operation, problem)
        }
    }

    private static func openSource(_ archive: String) throws -> ArchiveByteSource {
        let fd = open(archive, O_RDONLY | O_NOCTTY | O_CLOEXEC)
        if fd < 0 { throw TreeProblem.system("open", on: archive, errno: errno) }
        let file = FileDescriptor(adopting: fd)
        let status = try Posix.status(of: file.raw, displayPath: archive)
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw TreeProblem(path: nil, problem: "\(archive) is not a regular file", remedy: "pass the path of a tar archive")
        }
        var magic = [UInt8](repeating: 0, count: CompressionFormat.magicLength)
        // pread leaves the offset at 0 for whoever reads the archive next.
        let count = magic.withUnsafeMutableBytes { pread(file.raw, $0.baseAddress, $0.count, 0) }
        if count < 0 { throw TreeProblem.system("read", on: archive, errno: errno) }
        if count == 0 {
            throw TreeProblem(path: nil, problem: "the archive is an empty file", remedy: "pass a tar archive")
        }
        let format = CompressionFormat(magic: Array(magic[0..<count]))
        if format == .none {
            return PlainArchiveSource(file: file, displayPath: archive)
        }
        // The child gets its own copy of the descriptor; ours closes on return.
        return try DecompressorSource(format: format, archive: file, archivePath: archive)
    }

    /// Empties the destination after a failure so nothing of a refused
    /// archive survives; if that fails too, both problems are reported.
    private static func removingPartialExtraction(
        in directory: Int32, destination: String, after cause: TreeProblem
    ) -> TreeProblem {
        do {
            try TreeRemover.removeContents(of: directory, displayPath: destination)
            return cause
        } catch {
            var combined = cause
            combined.problem += "; removing the partial extraction also failed: \(error)"
            combined.remedy += "; then empty \(destination) by hand"
            return combined
        }
    }
}
