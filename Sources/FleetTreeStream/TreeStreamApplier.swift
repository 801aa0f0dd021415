import FleetTree
import Glibc

/// Applies one tree stream (format on ``TreeStreamFormat``) for
/// ``TreeStreamReader``, treating the input as hostile.
///
/// Every directory is reached with `openat(O_NOFOLLOW | O_DIRECTORY)` step by
/// step from the root descriptor, so no record can reach through a symlink,
/// whether the stream made it or it was there before. Entries are built under
/// a temporary name in their directory and renamed over the old one, so a
/// reader of the tree sees the old or the new entry, never a partial one;
/// with ``createsNewNamesInPlace``, a name that does not exist yet is built
/// under that name directly (see there).
/// Input is read in exactly the sizes the format announces, never past the
/// end record.
final class TreeStreamApplier<Source: ByteSource> {
    typealias EntryHeader = TreeStreamEntryHeader

    /// Owner, mode and time a directory record asked for, applied at the end.
    private struct DirectoryMetadata {
        var mode: UInt32
        var uid: UInt32
        var gid: UInt32
        var modified: timespec
    }

    var source: Source
    private let root: Int32
    private let dataBuffer: UnsafeMutableRawBufferPointer
    private var stats = TreeStreamStats()
    private var directoryMetadata: [[UInt8]: DirectoryMetadata] = [:]
    /// Directories whose content this stream changed, with their modification
    /// time from before, restored at the end unless a directory record says otherwise.
    private var touchedDirectories: [[UInt8]: timespec] = [:]
    private var cachedParentPath: [UInt8]?
    private var cachedParentFD: Int32 = -1
    /// Owns cachedParentFD; files queued for the writers hold it too.
    private var cachedParent: TreeStreamDirectoryHandle?
    private var temporaryCounter = 0
    /// The record being read, for messages about a cut-off stream.
    var currentPath: String?
    /// When set, the content digest of every file written goes here.
    var digests: DigestCache?
    /// Build an entry whose name does not exist yet under that name
    /// (`O_EXCL`, so an existing one is never touched), not under a
    /// temporary name renamed over it: the rename was a quarter of the
    /// receiver's CPU for 50,000 small files. Only for a staging tree nobody
    /// reads before the stream is done and its digest checked: a crash
    /// mid-file leaves a partial file under its real name (a failure still
    /// removes it), which only a later full stream or the digest notices.
    var createsNewNamesInPlace = false
    /// When set, owners move from the source guest's id range to the
    /// destination's as entries are read (StreamOwnerMapper).
    var owners: StreamOwnerMapper?
    /// With ``createsNewNamesInPlace``, threads that create the stream's
    /// regular files while this one reads on (``TreeStreamFileWriters``);
    /// 0: every file is made on this thread.
    var writerThreads = 0
    /// Larger files are written by this thread as they stream, not held in memory for a writer.
    static var writerFileMaximum: UInt64 { 1 << 20 }
    private var writers: TreeStreamFileWriters?
    /// Paths queued for the writers since they were last drained: another
    /// record of one of them (a broken or hostile stream) waits for that
    /// drain, so that two threads never make the same name.
    private var queuedPaths = Set<[UInt8]>()
    private lazy var contentHasher = FileContentHasher()

    init(source: Source, root: Int32) {
        self.source = source
        self.root = root
        dataBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
    }

    deinit {
        dataBuffer.deallocate()
        releaseCachedParent()
    }

    func run() throws -> TreeStreamStats {
        if createsNewNamesInPlace && writerThreads > 0 {
            writers = try TreeStreamFileWriters(count: writerThreads, hashes: digests != nil)
        }
        // No writer is left running once this returns, whatever happened.
        defer {
            writers?.stop()
            writers = nil
        }
        do {
            return try applyRecords()
        } catch {
            // Files read whole before the failure are still made, as they
            // are without writers (unless a writer's failure was the cause:
            // the writers then take nothing more).
            _ = try? drainWriters()
            throw error
        }
    }

    private func applyRecords() throws -> TreeStreamStats {
        try readMagic()
        while true {
            currentPath = nil
            guard let kind = try readRecordKind() else {
                throw TreeProblem(
                    path: nil,
                    problem: "the stream ended before its end record (it was cut off)",
                    remedy: "retry the transfer; check the sending side for an error")
            }
            switch kind {
            case .file: try applyFile()
            case .directory: try applyDirectory()
            case .symlink: try applySymlink()
            case .hardLink: try applyHardLink()
            case .characterDevice, .blockDevice, .fifo: try applyNode(kind)
            case .delete: try applyDelete()
            case .end:
                try drainWriters()
                try readEnd()
                try finish()
                return stats
            }
        }
    }

    // MARK: - Records

    private func applyFile() throws {
        let header = try readEntryHeader()
        let size = try readInteger(UInt64.self)
        guard size <= UInt64(Int64.max) else { throw corrupt("file \"\(header.display)\" has an impossible size \(size)") }
        if queuedPaths.contains(header.path) { try drainWriters() }
        let parent = try parentDirectory(of: header.components)
        try noteTouched(parent)
        if let writers, size <= Self.writerFileMaximum, let handle = cachedParent {
            var job = TreeStreamFileJob(header: header, parent: handle, size: size)
            _ = try readExtents(size: size, display: header.display) { bytes, offset in job.append(bytes, at: offset) }
            queuedPaths.insert(header.path)
            try writers.submit(job)
        } else {
            try writeFile(header, size: size, in: parent) { fd in
                try readExtents(size: size, display: header.display) { bytes, offset in
                    try TreeStreamSystemCalls.writeAll(fd, bytes, at: Int64(offset), displayPath: header.display)
                }
            }
        }
        stats.entries += 1
    }

    /// Makes the regular file `header` in `parent` on this thread: under its
    /// name if new (with ``createsNewNamesInPlace``), else under a temporary
    /// name renamed over the old entry. `writeData` fills the new, empty
    /// file and returns where its data ends.
    private func writeFile(
        _ header: EntryHeader, size: UInt64, in parent: (fd: Int32, path: [UInt8]), writeData: (Int32) throws -> UInt64
    ) throws {
        let (temporary, fd, inPlace) = try createEntry(header.name, in: parent.fd, display: header.display) { name in
            // Readable too: its digest is read back from it once written.
            Posix.createForWritingAndReading(at: parent.fd, name: name)
        }
        let file = FileDescriptor(adopting: fd)
        do {
            let dataEnd = try writeData(file.raw)
            let (digest, final) = try TreeStreamFileCompletion.complete(
                file.raw, header: header, size: size, dataEnd: dataEnd, hasher: digests == nil ? nil : contentHasher,
                statusAfter: inPlace)
            try file.closeChecked(displayPath: header.display)
            if !inPlace {
                try replaceEntry(header.name, in: parent, with: temporary, path: header.path, display: header.display)
            }
            if let digest {
                let status = try final ?? Posix.status(at: parent.fd, name: header.name, displayPath: header.display)
                digests?.recordWritten(header.path, status: status, digest: digest)
            }
        } catch {
            _ = Posix.withCString(temporary) { unlinkat(parent.fd, $0, 0) }
            throw error
        }
    }

    /// Waits for the files queued for the writers, takes their digests, and
    /// makes on this thread those whose names existed (a replacement, and
    /// perhaps a directory in the way to remove, is this thread's work).
    private func drainWriters() throws {
        guard let writers, !queuedPaths.isEmpty else { return }
        let (written, nameExists) = try writers.drain()
        queuedPaths.removeAll(keepingCapacity: true)
        for file in written { digests?.recordWritten(file.path, status: file.status, digest: file.digest) }
        for job in nameExists {
            let parent = (job.parent.fd, TreeStreamPath.joined(job.header.components.dropLast()))
            try writeFile(job.header, size: job.size, in: parent) { try job.writeData(into: $0) }
        }
    }

    /// Reads the file's data extents, checking each against the size, and
    /// hands each piece to `deliver` with its offset in the file; returns
    /// where the last one ends.
    private func readExtents(
        size: UInt64, display: String, deliver: (UnsafeRawBufferPointer, UInt64) throws -> Void
    ) throws -> UInt64 {
        var previousEnd: UInt64 = 0
        while true {
            let length = UInt64(try readInteger(UInt32.self))
            if length == 0 { return previousEnd }
            let offset = try readInteger(UInt64.self)
            guard offset >= previousEnd, offset <= size, length <= size - offset else {
                throw corrupt("file \"\(display)\" has a data extent (offset \(offset), length \(length)) outside its size \(size) or out of order")
            }
            var done: UInt64 = 0
            while done < length {
                let count = Int(min(length - done, UInt64(dataBuffer.count)))
                let chunk = UnsafeMutableRawBufferPointer(rebasing: dataBuffer[0..<count])
                try readFully(chunk)
                try deliver(UnsafeRawBufferPointer(chunk), offset + done)
                done += UInt64(count)
            }
            previousEnd = offset + length
            stats.fileBytes += length
        }
    }

    private func applyDirectory() throws {
        let header = try readEntryHeader()
        if queuedPaths.contains(header.path) { try drainWriters() }
        let parent = try parentDirectory(of: header.components)
        let name = header.name
        let existing = try TreeStreamSystemCalls.statusIfPresent(at: parent.fd, name: name, displayPath: header.display)
        if existing.map({ $0.st_mode & S_IFMT != S_IFDIR }) ?? true {
            try noteTouched(parent)
            if existing != nil, Posix.withCString(name, { unlinkat(parent.fd, $0, 0) }) != 0 {
                throw TreeProblem.system("remove", on: header.display, errno: errno)
            }
            // Private until the end, when the record's mode is applied.
            if Posix.withCString(name, { mkdirat(parent.fd, $0, 0o700) }) != 0 {
                throw TreeProblem.system("mkdir", on: header.display, errno: errno)
            }
        }
        // An existing directory keeps its content; only its metadata changes.
        let directory = try Posix.openDirectory(at: parent.fd, name: name, displayPath: header.display)
        try TreeStreamXattrs.replace(
            on: .descriptor(directory.raw), with: header.attributes, existingMayBeNonEmpty: true,
            displayPath: header.display)
        directoryMetadata[header.path] = DirectoryMetadata(
            mode: header.mode, uid: header.uid, gid: header.gid, modified: header.modified)
        stats.entries += 1
    }

    private func applySymlink() throws {
        let header = try readEntryHeader()
        let target = try readBytes32(limit: TreeStreamFormat.maximumLinkTargetLength, what: "symlink target of \"\(header.display)\"")
        if target.isEmpty || target.contains(0) {
            throw corrupt("symlink \"\(header.display)\" has an empty target or one containing NUL")
        }
        if queuedPaths.contains(header.path) { try drainWriters() }
        let parent = try parentDirectory(of: header.components)
        try noteTouched(parent)
        let (temporary, _, inPlace) = try createEntry(header.name, in: parent.fd, display: header.display) { name in
            Posix.withCString(target) { cTarget in Posix.withCString(name) { symlinkat(cTarget, parent.fd, $0) } }
        }
        do {
            try TreeStreamSystemCalls.setOwner(
                at: parent.fd, name: temporary, uid: header.uid, gid: header.gid, displayPath: header.display)
            if !header.attributes.isEmpty {
                try TreeStreamXattrs.replace(
                    on: .entry(parent: parent.fd, name: temporary), with: header.attributes,
                    existingMayBeNonEmpty: false, displayPath: header.display)
            }
            try TreeStreamSystemCalls.setModifiedTime(
                at: parent.fd, name: temporary, header.modified, displayPath: header.display)
            if !inPlace {
                try replaceEntry(header.name, in: parent, with: temporary, path: header.path, display: header.display)
            }
        } catch {
            _ = Posix.withCString(temporary) { unlinkat(parent.fd, $0, 0) }
            throw error
        }
        stats.entries += 1
    }

    /// FIFOs and overlay whiteouts (character devices 0:0); other devices are refused.
    private func applyNode(_ kind: TreeStreamFormat.RecordKind) throws {
        let header = try readEntryHeader()
        var type = S_IFIFO
        if kind != .fifo {
            let major = try readInteger(UInt32.self)
            let minor = try readInteger(UInt32.self)
            guard kind == .characterDevice && major == 0 && minor == 0 else {
                let noun = kind == .characterDevice ? "character" : "block"
                throw TreeProblem(
                    path: header.display,
                    problem: "\"\(header.display)\" is a \(noun) device \(major):\(minor); device nodes other than overlay whiteouts are refused",
                    remedy: "discard this stream; if the source tree really holds a device node, remove it there")
            }
            type = S_IFCHR
        }
        if queuedPaths.contains(header.path) { try drainWriters() }
        let parent = try parentDirectory(of: header.components)
        try noteTouched(parent)
        let (temporary, _, inPlace) = try createEntry(header.name, in: parent.fd, display: header.display) { name in
            Posix.withCString(name) { mknodat(parent.fd, $0, type | 0o600, 0) }
        }
        do {
            try TreeStreamSystemCalls.setOwner(
                at: parent.fd, name: temporary, uid: header.uid, gid: header.gid, displayPath: header.display)
            try TreeStreamSystemCalls.setMode(at: parent.fd, name: temporary, header.mode, displayPath: header.display)
            try TreeStreamXattrs.replace(
                on: .entry(parent: parent.fd, name: temporary), with: header.attributes,
                existingMayBeNonEmpty: true, displayPath: header.display)
            try TreeStreamSystemCalls.setModifiedTime(
                at: parent.fd, name: temporary, header.modified, displayPath: header.display)
            if !inPlace {
                try replaceEntry(header.name, in: parent, with: temporary, path: header.path, display: header.display)
            }
        } catch {
            _ = Posix.withCString(temporary) { unlinkat(parent.fd, $0, 0) }
            throw error
        }
        stats.entries += 1
    }

    private func applyHardLink() throws {
        // Its target may be a file still queued, and its digest is needed.
        try drainWriters()
        let (path, components) = try readPath(role: "entry")
        let display = Posix.display(path)
        currentPath = display
        let (targetPath, targetComponents) = try readPath(role: "the target of hard link \"\(display)\"")
        let targetDisplay = Posix.display(targetPath)
        func refuse(_ problem: String) -> TreeProblem {
            TreeProblem(
                path: display,
                problem: "hard link \"\(display)\" -> \"\(targetDisplay)\" \(problem)",
                remedy: "discard this stream: a hard link must name a regular file inside the tree sent before it")
        }
        if targetPath == path { throw refuse("points to itself") }
        guard let targetParentFD = try openDirectoryChain(
            targetComponents.dropLast(), for: "the target of hard link \"\(display)\"", display: targetDisplay,
            allowMissing: true)
        else { throw refuse("points to a path that does not exist") }
        let targetParent = FileDescriptor(adopting: targetParentFD)
        let targetName = targetComponents[targetComponents.count - 1]
        guard let target = try TreeStreamSystemCalls.statusIfPresent(
            at: targetParent.raw, name: targetName, displayPath: targetDisplay)
        else { throw refuse("points to a path that does not exist") }
        guard target.st_mode & S_IFMT == S_IFREG else {
            throw refuse("points to a \(TreeStreamSystemCalls.kindName(ofMode: target.st_mode)), not a regular file")
        }

        let parent = try parentDirectory(of: components)
        let name = components[components.count - 1]
        if let existing = try TreeStreamSystemCalls.statusIfPresent(at: parent.fd, name: name, displayPath: display),
           existing.st_dev == target.st_dev && existing.st_ino == target.st_ino {
            stats.entries += 1  // already this link (rename would do nothing and keep the temporary)
            return
        }
        try noteTouched(parent)
        // The target's digest, if recorded for the inode as it is: the link
        // changes its ctime, so both names are recorded again after it.
        let known = digests?.digest(for: targetPath, status: target)
        let (temporary, _, inPlace) = try createEntry(name, in: parent.fd, display: display) { name in
            Posix.withCString(targetName) { cTarget in
                Posix.withCString(name) { linkat(targetParent.raw, cTarget, parent.fd, $0, 0) }
            }
        }
        do {
            if !inPlace { try replaceEntry(name, in: parent, with: temporary, path: path, display: display) }
            if let known {
                let linked = try Posix.status(at: parent.fd, name: name, displayPath: display)
                digests?.recordWritten(targetPath, status: linked, digest: known)
                digests?.recordWritten(path, status: linked, digest: known)
            }
        } catch {
            _ = Posix.withCString(temporary) { unlinkat(parent.fd, $0, 0) }
            throw error
        }
        stats.entries += 1
    }

    private func applyDelete() throws {
        try drainWriters()
        let (path, components) = try readPath(role: "deleted path")
        let display = Posix.display(path)
        currentPath = display
        let parentComponents = components.dropLast()
        let name = components[components.count - 1]
        let parentPath = TreeStreamPath.joined(parentComponents)
        var opened: FileDescriptor?
        let parentFD: Int32
        if parentPath == cachedParentPath {
            parentFD = cachedParentFD
        } else {
            // A missing parent means there is nothing to delete.
            guard let fd = try openDirectoryChain(parentComponents, for: "deleted path", display: display, allowMissing: true)
            else {
                stats.deleted += 1
                return
            }
            opened = FileDescriptor(adopting: fd)
            parentFD = fd
        }
        defer { _ = opened.take() }
        if let existing = try TreeStreamSystemCalls.statusIfPresent(at: parentFD, name: name, displayPath: display) {
            try noteTouched((parentFD, parentPath))
            if existing.st_mode & S_IFMT == S_IFDIR {
                try removeDirectory(name, in: parentFD, path: path, display: display)
            } else if Posix.withCString(name, { unlinkat(parentFD, $0, 0) }) != 0 {
                throw TreeProblem.system("remove", on: display, errno: errno)
            }
        }
        stats.deleted += 1
    }

    private func readEnd() throws {
        let entries = try readInteger(UInt64.self)
        let deleted = try readInteger(UInt64.self)
        let fileBytes = try readInteger(UInt64.self)
        guard entries == UInt64(stats.entries), deleted == UInt64(stats.deleted), fileBytes == stats.fileBytes else {
            throw corrupt(
                "its end record counts \(entries) entries, \(deleted) deletions and \(fileBytes) data bytes, but \(stats.entries), \(stats.deleted) and \(stats.fileBytes) arrived")
        }
    }

    /// Directory owners, modes and times, deepest first, so that setting
    /// one never disturbs another; directories only touched get back the
    /// modification time they had before the stream.
    private func finish() throws {
        releaseCachedParent()
        var paths = Set(directoryMetadata.keys)
        paths.formUnion(touchedDirectories.keys)
        let ordered = paths.sorted { left, right in
            let (leftDepth, rightDepth) = (TreeStreamPath.depth(left), TreeStreamPath.depth(right))
            return leftDepth != rightDepth ? leftDepth > rightDepth : left.lexicographicallyPrecedes(right)
        }
        for path in ordered {
            let display = path.isEmpty ? "." : Posix.display(path)
            guard let fd = try openDirectoryChain(MemberPath.split(path)[...], for: "directory", display: display, allowMissing: true)
            else { continue }
            let directory = FileDescriptor(adopting: fd)
            if let metadata = directoryMetadata[path] {
                try TreeStreamSystemCalls.setOwner(of: directory.raw, uid: metadata.uid, gid: metadata.gid, displayPath: display)
                try TreeStreamSystemCalls.setMode(of: directory.raw, metadata.mode, displayPath: display)
                try TreeStreamSystemCalls.setModifiedTime(of: directory.raw, metadata.modified, displayPath: display)
            } else if let modified = touchedDirectories[path] {
                try TreeStreamSystemCalls.setModifiedTime(of: directory.raw, modified, displayPath: display)
            }
        }
    }

    // MARK: - Directories of the receiving tree

    /// The directory holding the entry at `components`, from a one-entry
    /// cache (records come sorted, so siblings follow each other).
    private func parentDirectory(of components: [[UInt8]]) throws -> (fd: Int32, path: [UInt8]) {
        let parentComponents = components.dropLast()
        let key = TreeStreamPath.joined(parentComponents)
        if key == cachedParentPath { return (cachedParentFD, key) }
        let display = Posix.display(TreeStreamPath.joined(components))
        // A path through a file still queued (a broken stream) must meet
        // that file, as without writers, not its absence.
        if !queuedPaths.isEmpty {
            var prefix: [UInt8] = []
            for name in parentComponents {
                prefix = prefix.isEmpty ? name : prefix + [TreeStreamPath.separator] + name
                if queuedPaths.contains(prefix) {
                    try drainWriters()
                    break
                }
            }
        }
        let fd = try openDirectoryChain(parentComponents, for: "entry", display: display, allowMissing: false)!
        releaseCachedParent()
        cachedParent = TreeStreamDirectoryHandle(adopting: fd)
        cachedParentFD = fd
        cachedParentPath = key
        return (fd, key)
    }

    /// Opens the directory `components` below the root, one
    /// `openat(O_NOFOLLOW | O_DIRECTORY)` at a time, refusing any component
    /// that is a symlink or not a directory. nil when a component is missing
    /// and `allowMissing`; the descriptor is the caller's to close.
    private func openDirectoryChain(
        _ components: ArraySlice<[UInt8]>, for role: String, display: String, allowMissing: Bool
    ) throws -> Int32? {
        var current = fcntl(root, F_DUPFD_CLOEXEC, 0)
        if current < 0 { throw TreeProblem.system("dup", on: ".", errno: errno) }
        var prefix: [UInt8] = []
        for name in components {
            prefix = prefix.isEmpty ? name : prefix + [TreeStreamPath.separator] + name
            let next = Posix.withCString(name) { openat(current, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if next >= 0 {
                close(current)
                current = next
                continue
            }
            let code = errno
            defer { close(current) }
            let prefixDisplay = Posix.display(prefix)
            if code == ENOENT {
                if allowMissing { return nil }
                throw TreeProblem(
                    path: display,
                    problem: "the directory \"\(prefixDisplay)\" holding \(role) \"\(display)\" does not exist; a stream must send a directory before its content",
                    remedy: "discard this stream: the sender is broken or the receiving tree is not the one the delta was made for",
                    errnoCode: code)
            }
            if code == ENOTDIR || code == ELOOP {
                var status = stat()
                let isSymlink = Posix.withCString(name) { fstatat(current, $0, &status, AT_SYMLINK_NOFOLLOW) } == 0
                    && status.st_mode & S_IFMT == S_IFLNK
                throw TreeProblem(
                    path: display,
                    problem: isSymlink
                        ? "\(role) \"\(display)\" goes through the symlink \"\(prefixDisplay)\"; a tree stream may not write through symlinks"
                        : "\(role) \"\(display)\" needs \"\(prefixDisplay)\" to be a directory, but it is a \(TreeStreamSystemCalls.kindName(ofMode: status.st_mode))",
                    remedy: "discard this stream: the sender is broken or hostile",
                    errnoCode: code)
            }
            throw TreeProblem.system("open directory", on: prefixDisplay, errno: code)
        }
        return current
    }

    private func releaseCachedParent() {
        // Closed by the handle, once no queued file needs it either.
        cachedParent = nil
        cachedParentFD = -1
        cachedParentPath = nil
    }

    /// Remembers a directory's modification time before this stream changes its content.
    private func noteTouched(_ parent: (fd: Int32, path: [UInt8])) throws {
        guard touchedDirectories[parent.path] == nil && directoryMetadata[parent.path] == nil else { return }
        let display = parent.path.isEmpty ? "." : Posix.display(parent.path)
        touchedDirectories[parent.path] = try Posix.status(of: parent.fd, displayPath: display).st_mtim
    }

    /// Makes a new object for the entry `name` in `directory`: under `name`
    /// itself when ``createsNewNamesInPlace`` and nothing has that name
    /// (`inPlace`), else under a temporary name for ``replaceEntry``.
    /// `create` is as for ``createTemporary``.
    private func createEntry(
        _ name: [UInt8], in directory: Int32, display: String, _ create: ([UInt8]) -> Int32
    ) throws -> (name: [UInt8], result: Int32, inPlace: Bool) {
        if createsNewNamesInPlace {
            let result = create(name)
            if result >= 0 { return (name, result, true) }
            let code = errno
            guard code == EEXIST else { throw TreeProblem.system("create", on: display, errno: code) }
        }
        let (temporary, result) = try createTemporary(in: directory, display: display, create)
        return (temporary, result, false)
    }

    /// Makes a new object under an unused temporary name in `directory`;
    /// `create` returns the new descriptor or 0 on success, -1 with errno set on failure.
    private func createTemporary(
        in directory: Int32, display: String, _ create: ([UInt8]) -> Int32
    ) throws -> (name: [UInt8], result: Int32) {
        while true {
            temporaryCounter += 1
            let name = Array(".vfts-\(getpid())-\(temporaryCounter).tmp".utf8)
            let result = create(name)
            if result >= 0 { return (name, result) }
            let code = errno
            if code == EEXIST { continue }
            throw TreeProblem.system("create", on: display, errno: code)
        }
    }

    /// Renames `temporary` over `name`, first removing a directory in the way.
    private func replaceEntry(
        _ name: [UInt8], in parent: (fd: Int32, path: [UInt8]), with temporary: [UInt8], path: [UInt8], display: String
    ) throws {
        func rename() -> Int32 {
            Posix.withCString(temporary) { from in Posix.withCString(name) { renameat(parent.fd, from, parent.fd, $0) } }
        }
        if rename() == 0 { return }
        let code = errno
        guard code == EISDIR || code == ENOTEMPTY || code == EEXIST else {
            throw TreeProblem.system("rename", on: display, errno: code)
        }
        try removeDirectory(name, in: parent.fd, path: path, display: display)
        if rename() != 0 { throw TreeProblem.system("rename", on: display, errno: errno) }
    }

    /// Removes the directory `name` and its content without following symlinks.
    private func removeDirectory(_ name: [UInt8], in parent: Int32, path: [UInt8], display: String) throws {
        // No writer may still be making a file in it.
        try drainWriters()
        do {
            let directory = try Posix.openDirectory(at: parent, name: name, displayPath: display)
            try TreeRemover.removeContents(of: directory.raw, displayPath: display)
        }
        if Posix.withCString(name, { unlinkat(parent, $0, AT_REMOVEDIR) }) != 0 {
            throw TreeProblem.system("remove directory", on: display, errno: errno)
        }
        // Nothing below it exists any more, so nothing below it is applied at the end.
        directoryMetadata = directoryMetadata.filter { !TreeStreamPath.isWithin($0.key, path) }
        touchedDirectories = touchedDirectories.filter { !TreeStreamPath.isWithin($0.key, path) }
        if let cached = cachedParentPath, TreeStreamPath.isWithin(cached, path) { releaseCachedParent() }
    }
}
