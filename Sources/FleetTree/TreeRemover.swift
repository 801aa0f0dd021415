import Glibc

/// Deletes trees this module created, never following a symlink, so that
/// cleaning up after a hostile archive cannot delete anything outside it.
package enum TreeRemover {
    /// Removes everything inside `directory`, leaving the directory itself.
    package static func removeContents(of directory: Int32, displayPath: String) throws {
        for name in try Posix.entryNames(ofDirectory: directory, displayPath: displayPath) {
            let childPath = displayPath + "/" + Posix.display(name)
            let status = try Posix.status(at: directory, name: name, displayPath: childPath)
            if status.st_mode & S_IFMT == S_IFDIR {
                let child = try Posix.openDirectory(at: directory, name: name, displayPath: childPath)
                // Without root, a directory whose final read-only mode was
                // already applied would otherwise refuse to give up its entries.
                if status.st_mode & 0o700 != 0o700 { _ = fchmod(child.raw, 0o700) }
                try removeContents(of: child.raw, displayPath: childPath)
                try unlink(name, in: directory, flags: AT_REMOVEDIR, displayPath: childPath)
            } else {
                try unlink(name, in: directory, flags: 0, displayPath: childPath)
            }
        }
    }

    /// Removes whatever is at `path`: a directory with everything in it,
    /// anything else (a symlink too) by unlinking it; nothing when there is
    /// nothing. The agent clears guests' layers, staging and trash with it:
    /// a guest may plant symlinks anywhere in its layer, and no removal
    /// follows one (each directory is opened O_NOFOLLOW from its parent's
    /// descriptor, so swapping a directory for a link mid-walk fails too).
    package static func remove(_ path: String) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            if errno == ENOENT { return }
            throw TreeProblem.system("lstat", on: path, errno: errno)
        }
        if st.st_mode & S_IFMT == S_IFDIR { return try removeTree(at: path) }
        if Glibc.unlink(path) != 0 && errno != ENOENT { throw TreeProblem.system("remove", on: path, errno: errno) }
    }

    /// Removes the directory at `path` and everything in it.
    package static func removeTree(at path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 { throw TreeProblem.system("open directory", on: path, errno: errno) }
        let directory = FileDescriptor(adopting: fd)
        _ = fchmod(directory.raw, 0o700)
        try removeContents(of: directory.raw, displayPath: path)
        if rmdir(path) != 0 { throw TreeProblem.system("rmdir", on: path, errno: errno) }
    }

    private static func unlink(_ name: [UInt8], in directory: Int32, flags: Int32, displayPath: String) throws {
        if Posix.withCString(name, { unlinkat(directory, $0, flags) }) != 0 {
            throw TreeProblem.system("remove", on: displayPath, errno: errno)
        }
    }
}
