import FleetTree
import Glibc

/// Materialises archive members inside the destination directory while
/// enforcing the template rules, never following a symlink: every directory
/// is reached by `openat(O_NOFOLLOW | O_DIRECTORY)` from the destination
/// descriptor, and every file is created with `O_EXCL | O_NOFOLLOW`.
///
/// What has been extracted is tracked in memory, so rules about earlier
/// members (links through symlinks, hard-link targets) are decided from the
/// archive itself rather than from whatever is on disk.
final class TarExtractor {
    private enum Extracted {
        case directory
        case regularFile
        case symlink
        case other
    }

    /// Applied only after everything is extracted: a read-only directory must
    /// still accept its content, and adding content would reset its mtime.
    private struct DirectoryMetadata {
        var mode: UInt32
        /// nil for directories the archive implies but never lists: they keep
        /// the extracting user as owner and the current time.
        var uid: UInt32?
        var gid: UInt32?
        var modified: timespec?
    }

    private let root: Int32
    // Keyed by the exact bytes of the normalised path: String keys would
    // treat canonically equivalent Unicode spellings, which are distinct
    // names on Linux, as one.
    private var extracted: [[UInt8]: Extracted] = [:]
    private var directoryMetadata: [[UInt8]: DirectoryMetadata] = [:]
    /// Archives list a directory's members together, so the parent of the
    /// previous member is usually the parent of the next one.
    private var cachedParentPath: [UInt8]?
    private var cachedParentFD: Int32 = -1
    private(set) var entryCount = 0
    private(set) var byteCount: UInt64 = 0

    init(root: Int32) {
        self.root = root
    }

    deinit {
        releaseCachedParent()
    }

    func extract(_ member: TarMember, from reader: TarMemberReader) throws {
        let components = try MemberPath.components(of: member.path)
        guard let nameBytes = components.last else {
            // "." is the destination itself, whose mode and owner are the caller's.
            if member.type == .directory { return }
            throw refusal(member, "would replace the tree root with \(member.type.noun)", "fix the archive")
        }
        let path = MemberPath.joined(components)
        if member.type == .characterDevice || member.type == .blockDevice {
            throw TemplateRules.deviceNode(path: member.path)
        }
        try checkParents(of: components, member: member)
        let existing = extracted[path]
        if existing == .directory && member.type != .directory {
            throw refusal(
                member, "would replace the directory \"\(Posix.display(path))\" with \(member.type.noun)", "fix the archive")
        }
        var hardLinkTarget: [[UInt8]] = []
        if member.type == .hardLink { hardLinkTarget = try checkedHardLinkTarget(member, path: path) }
        if member.type == .symlink { try checkSymlink(member, path: path) }

        let parent = try parentDirectory(of: components)
        if let existing, existing != .directory {
            // A later member of the same name replaces the earlier one, as with tar.
            if Posix.withCString(nameBytes, { unlinkat(parent, $0, 0) }) != 0 {
                throw TreeProblem.system("remove earlier", on: member.path, errno: errno)
            }
        }
        switch member.type {
        case .regularFile:
            try writeFile(member, named: nameBytes, in: parent, from: reader)
            extracted[path] = .regularFile
        case .hardLink:
            try link(member, named: nameBytes, in: parent, to: hardLinkTarget)
            extracted[path] = .regularFile
        case .symlink:
            try createSymlink(member, named: nameBytes, in: parent)
            extracted[path] = .symlink
        case .directory:
            if existing != .directory {
                if Posix.withCString(nameBytes, { mkdirat(parent, $0, 0o700) }) != 0 {
                    throw TreeProblem.system("mkdir", on: member.path, errno: errno)
                }
            }
            // A repeated directory member takes the last header's metadata, as with tar.
            directoryMetadata[path] = DirectoryMetadata(
                mode: member.mode, uid: member.uid, gid: member.gid, modified: member.modified)
            extracted[path] = .directory
        case .fifo:
            if Posix.withCString(nameBytes, { mkfifoat(parent, $0, 0o600) }) != 0 {
                throw TreeProblem.system("mkfifo", on: member.path, errno: errno)
            }
            try Posix.applyNodeMetadata(
                at: parent, name: nameBytes, uid: member.uid, gid: member.gid, mode: member.mode,
                modified: member.modified, displayPath: member.path)
            extracted[path] = .other
        case .characterDevice, .blockDevice:
            preconditionFailure("device members are refused above")
        }
        entryCount += 1
    }

    /// Applies directory modes, owners and times, deepest first so that a
    /// restrictive parent never blocks reaching its children.
    func finish() throws {
        releaseCachedParent()
        let ordered = directoryMetadata.sorted { left, right in
            let leftDepth = left.key.count { $0 == MemberPath.separator }
            let rightDepth = right.key.count { $0 == MemberPath.separator }
            return leftDepth != rightDepth ? leftDepth > rightDepth : left.key.lexicographicallyPrecedes(right.key)
        }
        for (path, metadata) in ordered {
            let components = MemberPath.split(path)
            let directory = FileDescriptor(adopting: try openDirectoryChain(components[...], creatingMissing: false))
            try Posix.applyMetadata(
                to: directory.raw, uid: metadata.uid, gid: metadata.gid, mode: metadata.mode,
                modified: metadata.modified, displayPath: Posix.display(path))
        }
    }

    /// Closes the cached descriptor; called before the destination is cleaned up.
    func releaseCachedParent() {
        if cachedParentFD >= 0 { close(cachedParentFD) }
        cachedParentFD = -1
        cachedParentPath = nil
    }

    // MARK: - Rules

    /// Every leading component must be a directory from this archive (or
    /// not exist yet), never a symlink: writing through a link would let the
    /// archive reach whatever the link names.
    private func checkParents(of components: [[UInt8]], member: TarMember) throws {
        var prefix: [UInt8] = []
        for component in components.dropLast() {
            prefix = prefix.isEmpty ? component : prefix + [MemberPath.separator] + component
            switch extracted[prefix] {
            case nil, .directory?:
                continue
            case .symlink?:
                throw refusal(
                    member, "goes through the symlink \"\(Posix.display(prefix))\" extracted earlier",
                    "fix the archive; a template may not write through its own symlinks")
            case .regularFile?, .other?:
                throw refusal(
                    member, "needs \"\(Posix.display(prefix))\" to be a directory, but the archive made it a file",
                    "fix the archive")
            }
        }
    }

    private func checkedHardLinkTarget(_ member: TarMember, path: [UInt8]) throws -> [[UInt8]] {
        let target = member.linkTarget ?? ""
        let components = try MemberPath.hardLinkTargetComponents(target, member: member.path)
        let targetPath = MemberPath.joined(components)
        guard extracted[targetPath] == .regularFile else {
            throw MemberPath.hardLinkOutsideTree(
                member: member.path, target: target, reason: "is not a regular file extracted earlier from this archive")
        }
        if targetPath == path {
            throw refusal(member, "is a hard link to itself", "fix the archive")
        }
        return components
    }

    private func checkSymlink(_ member: TarMember, path: [UInt8]) throws {
        let target = member.linkTarget ?? ""
        if target.isEmpty {
            throw refusal(member, "is a symlink with an empty target", "fix the archive")
        }
        if TemplateRules.symlinkClimbsAboveRoot(linkPath: path, target: Array(target.utf8)) {
            throw TemplateRules.symlinkEscapes(path: member.path, target: target)
        }
    }

    private func refusal(_ member: TarMember, _ problem: String, _ remedy: String) -> TreeProblem {
        TreeProblem(path: member.path, problem: "member \"\(member.path)\" \(problem)", remedy: remedy)
    }

    // MARK: - Creating objects

    private func writeFile(_ member: TarMember, named name: [UInt8], in parent: Int32, from reader: TarMemberReader) throws {
        let file = try Posix.createFile(at: parent, name: name, displayPath: member.path)
        let raw = file.raw
        try reader.readData(of: member) { chunk in
            try Posix.writeAll(raw, chunk, displayPath: member.path)
        }
        try Posix.applyMetadata(
            to: raw, uid: member.uid, gid: member.gid, mode: member.mode, modified: member.modified,
            displayPath: member.path)
        try file.closeChecked(displayPath: member.path)
        byteCount += member.size
    }

    private func link(_ member: TarMember, named name: [UInt8], in parent: Int32, to target: [[UInt8]]) throws {
        let targetParent = FileDescriptor(adopting: try openDirectoryChain(target.dropLast(), creatingMissing: false))
        let targetName = target[target.count - 1]
        // Flags 0: link the named object itself; linkat never follows by default.
        let rc = Posix.withCString(targetName) { cTarget in
            Posix.withCString(name) { linkat(targetParent.raw, cTarget, parent, $0, 0) }
        }
        if rc != 0 { throw TreeProblem.system("link", on: member.path, errno: errno) }
    }

    private func createSymlink(_ member: TarMember, named name: [UInt8], in parent: Int32) throws {
        let target = Array((member.linkTarget ?? "").utf8)
        let rc = Posix.withCString(target) { cTarget in
            Posix.withCString(name) { symlinkat(cTarget, parent, $0) }
        }
        if rc != 0 { throw TreeProblem.system("symlink", on: member.path, errno: errno) }
        try Posix.applySymlinkMetadata(
            at: parent, name: name, uid: member.uid, gid: member.gid, modified: member.modified,
            displayPath: member.path)
    }

    // MARK: - Reaching directories

    private func parentDirectory(of components: [[UInt8]]) throws -> Int32 {
        let parentComponents = components.dropLast()
        let key = MemberPath.joined(parentComponents)
        if key == cachedParentPath { return cachedParentFD }
        let opened = try openDirectoryChain(parentComponents, creatingMissing: true)
        releaseCachedParent()
        cachedParentFD = opened
        cachedParentPath = key
        return opened
    }

    /// Opens the directory at `components` below the root, one `O_NOFOLLOW`
    /// step at a time, creating directories the archive implies but has not
    /// listed. The returned descriptor is the caller's to close.
    private func openDirectoryChain(_ components: ArraySlice<[UInt8]>, creatingMissing: Bool) throws -> Int32 {
        var current = fcntl(root, F_DUPFD_CLOEXEC, 0)
        if current < 0 { throw TreeProblem.system("dup", on: ".", errno: errno) }
        var prefix: [UInt8] = []
        for name in components {
            prefix = prefix.isEmpty ? name : prefix + [MemberPath.separator] + name
            if creatingMissing && extracted[prefix] == nil {
                if Posix.withCString(name, { mkdirat(current, $0, 0o700) }) != 0 {
                    let code = errno
                    close(current)
                    throw TreeProblem.system("mkdir", on: Posix.display(prefix), errno: code)
                }
                extracted[prefix] = .directory
                directoryMetadata[prefix] = DirectoryMetadata(mode: 0o755, uid: nil, gid: nil, modified: nil)
            }
            let next = Posix.withCString(name) { openat(current, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            let code = errno
            close(current)
            if next < 0 { throw TreeProblem.system("open directory", on: Posix.display(prefix), errno: code) }
            current = next
        }
        return current
    }
}
