import Glibc

/// Copies a directory tree exactly: types, modes (with setuid/setgid/sticky),
/// numeric owners, modification times, symlinks (as links, never followed),
/// device nodes, FIFOs, sockets and hard links (re-linked, not duplicated).
///
/// Not copied: extended attributes (including ACLs and file capabilities),
/// access times, and holes in sparse files (they become allocated zeros
/// unless the file system's `copy_file_range` preserves them). Further names
/// of a hard link are made with `linkat` from the destination root, so a
/// first copy whose path exceeds PATH_MAX (4096 bytes) cannot be linked.
public enum TreeCopier {
    /// Copies the tree at `from` to the new directory `to`, which must not
    /// exist yet. On failure nothing is left at `to`.
    public static func copy(from: String, to: String) throws {
        let operation = "cannot copy tree \(from) to \(to)"
        do {
            let source = try Posix.openRoot(from)
            let sourceStatus = try Posix.status(of: source.raw, displayPath: from)
            if mkdir(to, 0o700) != 0 {
                let code = errno
                if code == EEXIST {
                    throw TreeProblem(
                        path: to,
                        problem: "the destination \(to) already exists",
                        remedy: "choose a path that does not exist yet or remove it first",
                        errnoCode: code
                    )
                }
                throw TreeProblem.system("mkdir", on: to, errno: code)
            }
            do {
                let fd = open(to, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if fd < 0 { throw TreeProblem.system("open directory", on: to, errno: errno) }
                let destination = FileDescriptor(adopting: fd)
                let identity = try Posix.status(of: destination.raw, displayPath: to)
                let copier = TreeCopyOperation(destinationRoot: destination.raw, identity: identity)
                try copier.copyContents(of: source.raw, into: destination.raw, path: [])
                try Posix.applyMetadata(
                    to: destination.raw, uid: sourceStatus.st_uid, gid: sourceStatus.st_gid,
                    mode: sourceStatus.st_mode, modified: sourceStatus.st_mtim, displayPath: to
                )
            } catch {
                try? TreeRemover.removeTree(at: to)
                throw error
            }
        } catch let problem as TreeProblem {
            throw TreeError(operation: operation, problem)
        }
    }
}
