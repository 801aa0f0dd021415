import Glibc

/// Depth-first walk below a directory that never follows a symlink: every
/// step is an `openat(O_NOFOLLOW | O_DIRECTORY)` or `fstatat(AT_SYMLINK_NOFOLLOW)`
/// relative to the parent's descriptor, so a link planted in the tree cannot
/// redirect the walk outside it.
package enum TreeWalker {
    /// Calls `visit` for every entry below the directory `root` (not for the
    /// root itself), a directory before its content. Order among siblings is
    /// whatever the file system returns; callers sort if they need order.
    package static func walk(root: Int32, visit: (WalkedEntry) throws -> Void) throws {
        try walkDirectory(root, path: [], visit: visit)
    }

    private static func walkDirectory(_ directory: Int32, path: [UInt8], visit: (WalkedEntry) throws -> Void) throws {
        let names = try Posix.entryNames(ofDirectory: directory, displayPath: path.isEmpty ? "." : Posix.display(path))
        for name in names {
            let childPath = path.isEmpty ? name : path + [0x2f] + name
            let displayPath = Posix.display(childPath)
            let status = try Posix.status(at: directory, name: name, displayPath: displayPath)
            try visit(WalkedEntry(parentFD: directory, name: name, path: childPath, status: status))
            guard status.st_mode & S_IFMT == S_IFDIR else { continue }
            let child = try Posix.openDirectory(at: directory, name: name, displayPath: displayPath)
            let opened = try Posix.status(of: child.raw, displayPath: displayPath)
            // The name could have been swapped for another directory between
            // lstat and open; refuse rather than describe the wrong object.
            guard opened.st_dev == status.st_dev && opened.st_ino == status.st_ino else {
                throw TreeProblem(
                    path: displayPath,
                    problem: "directory \"\(displayPath)\" was replaced while the tree was being read",
                    remedy: "stop whatever is modifying the tree and retry"
                )
            }
            try walkDirectory(child.raw, path: childPath, visit: visit)
        }
    }
}
