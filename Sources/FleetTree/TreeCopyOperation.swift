import Glibc

/// State of one ``TreeCopier/copy(from:to:)`` call: the destination root and
/// the hard links seen so far.
package final class TreeCopyOperation {
    private let destinationRoot: Int32
    /// The destination root's inode, to notice a destination inside the source.
    private let destinationRootIdentity: InodeKey
    /// Destination path of the first copy of each multiply-linked source inode.
    private var firstCopies: [InodeKey: [UInt8]] = [:]
    private let dataCopier = FileDataCopier()

    package init(destinationRoot: Int32, identity: stat) {
        self.destinationRoot = destinationRoot
        destinationRootIdentity = InodeKey(identity)
    }

    package func copyContents(of source: Int32, into destination: Int32, path: [UInt8]) throws {
        let displayDirectory = path.isEmpty ? "." : Posix.display(path)
        for name in try Posix.entryNames(ofDirectory: source, displayPath: displayDirectory) {
            let childPath = path.isEmpty ? name : path + [UInt8(ascii: "/")] + name
            let display = Posix.display(childPath)
            let status = try Posix.status(at: source, name: name, displayPath: display)
            guard let kind = Posix.kind(ofMode: status.st_mode) else {
                throw TreeProblem(
                    path: display, problem: "\"\(display)\" has an unknown file type", remedy: "remove it and retry")
            }
            if kind == .directory {
                try copyDirectory(name, from: source, into: destination, path: childPath, status: status)
                continue
            }
            let key = InodeKey(status)
            if status.st_nlink > 1, let firstCopy = firstCopies[key] {
                try link(firstCopy, as: name, in: destination, displayPath: display)
                continue
            }
            switch kind {
            case .file:
                try copyFile(name, from: source, into: destination, status: status, displayPath: display)
            case .symlink:
                let target = try Posix.readLink(at: source, name: name, displayPath: display)
                let rc = Posix.withCString(target) { cTarget in
                    Posix.withCString(name) { symlinkat(cTarget, destination, $0) }
                }
                if rc != 0 { throw TreeProblem.system("symlink", on: display, errno: errno) }
                try Posix.applySymlinkMetadata(
                    at: destination, name: name, uid: status.st_uid, gid: status.st_gid,
                    modified: status.st_mtim, displayPath: display)
            case .fifo, .socket, .charDevice, .blockDevice:
                // mknod creates FIFOs and socket inodes too; a socket copy is
                // only a name (nothing listens on it), as with `cp -a`.
                let rc = Posix.withCString(name) {
                    mknodat(destination, $0, (status.st_mode & S_IFMT) | 0o600, status.st_rdev)
                }
                if rc != 0 { throw TreeProblem.system("mknod", on: display, errno: errno) }
                try Posix.applyNodeMetadata(
                    at: destination, name: name, uid: status.st_uid, gid: status.st_gid,
                    mode: status.st_mode, modified: status.st_mtim, displayPath: display)
            case .directory:
                break
            }
            if status.st_nlink > 1 { firstCopies[key] = childPath }
        }
    }

    private func copyDirectory(
        _ name: [UInt8], from source: Int32, into destination: Int32, path: [UInt8], status: stat
    ) throws {
        let display = Posix.display(path)
        if InodeKey(status) == destinationRootIdentity {
            // Copying on would copy the copy into itself without end.
            throw TreeProblem(
                path: display,
                problem: "the destination is inside the source (at \"\(display)\")",
                remedy: "choose a destination outside the source tree")
        }
        let sourceChild = try Posix.openDirectory(at: source, name: name, displayPath: display)
        let opened = try Posix.status(of: sourceChild.raw, displayPath: display)
        guard opened.st_dev == status.st_dev && opened.st_ino == status.st_ino else {
            throw TreeProblem(
                path: display,
                problem: "directory \"\(display)\" was replaced while it was being copied",
                remedy: "stop whatever is modifying the source tree and retry")
        }
        // Private until its content is in, then the source's mode, so a
        // read-only source directory can still be filled.
        if Posix.withCString(name, { mkdirat(destination, $0, 0o700) }) != 0 {
            throw TreeProblem.system("mkdir", on: display, errno: errno)
        }
        let destinationChild = try Posix.openDirectory(at: destination, name: name, displayPath: display)
        try copyContents(of: sourceChild.raw, into: destinationChild.raw, path: path)
        try Posix.applyMetadata(
            to: destinationChild.raw, uid: status.st_uid, gid: status.st_gid,
            mode: status.st_mode, modified: status.st_mtim, displayPath: display)
    }

    private func copyFile(
        _ name: [UInt8], from source: Int32, into destination: Int32, status: stat, displayPath: String
    ) throws {
        let input = try Posix.openFileForReading(at: source, name: name, displayPath: displayPath)
        let output = try Posix.createFile(at: destination, name: name, displayPath: displayPath)
        try dataCopier.copy(from: input.raw, to: output.raw, displayPath: displayPath)
        try Posix.applyMetadata(
            to: output.raw, uid: status.st_uid, gid: status.st_gid,
            mode: status.st_mode, modified: status.st_mtim, displayPath: displayPath)
        try output.closeChecked(displayPath: displayPath)
    }

    private func link(_ existing: [UInt8], as name: [UInt8], in destination: Int32, displayPath: String) throws {
        // `existing` is relative to the destination root and made only of
        // directories this copy created, so no symlink lies on its way.
        let rc = Posix.withCString(existing) { cExisting in
            Posix.withCString(name) { linkat(destinationRoot, cExisting, destination, $0, 0) }
        }
        if rc != 0 { throw TreeProblem.system("link", on: displayPath, errno: errno) }
    }
}
