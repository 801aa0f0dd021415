import FleetTree
import Glibc

/// Writes one tree stream (format on ``TreeStreamFormat``) for
/// ``TreeStreamWriter``: scans the tree, works out what to send, then sends
/// it through a 1 MiB buffer. File data is read straight into that buffer,
/// one extent per `pread`. The first flushes come early (128 KiB, then
/// twice as much each time up to the whole buffer): the receiver, which
/// for many small files has more work per byte than the sender, starts as
/// soon as there is something to apply rather than after the first MiB.
final class TreeStreamEncoder<Sink: ByteSink> {
    var sink: Sink
    private let root: Int32
    private let buffer: UnsafeMutableRawBufferPointer
    private var used = 0
    /// How full the buffer may get before it is flushed: ``firstFlush``,
    /// doubled by every flush up to the buffer's size.
    private var flushAt = TreeStreamEncoder.firstFlush
    private(set) var stats = TreeStreamStats()
    /// Parent directory of the entry sent last, reused by its siblings.
    private var cachedParentPath: [UInt8]?
    private var cachedParentFD: Int32 = -1
    /// The name sent as a file for each inode with several names in the tree.
    private var firstNames: [InodeKey: [UInt8]] = [:]
    /// When set, the content digest of every file sent goes here, taken from
    /// the data as it is read for the stream (no second read of the tree).
    var digests: DigestCache?
    /// Keep the stream's scan in ``scanned``.
    var keepsManifest = false
    /// With ``keepsManifest``, the stream's scan as a manifest
    /// (xattr digests included, as ``TreeManifest/build(root:)`` lists a
    /// tree): every path the stream can carry, with the metadata seen
    /// before its content was read, for a delta too.
    private(set) var scanned: [TreeManifestEntry] = []
    /// Keep the stream's scan as it was taken in ``nodes`` (a replica's
    /// frozen delta digests the tree from it instead of walking it again).
    var keepsNodes = false
    private(set) var nodes: [ScannedNode] = []
    /// An earlier scan's xattr digests for the scan to reuse (``XattrReuse``).
    var xattrReuse: XattrReuse?
    /// Keep this stream's xattr digests, with each entry's inode and ctime,
    /// in ``reusable``: a later delta of the same tree by this process reads
    /// attributes only of what changed since (a move's delta, after its
    /// pre-copy).
    var keepsReusable = false
    private(set) var reusable: XattrReuse?

    /// The first flush's size (the buffer's is 1 MiB).
    static var firstFlush: Int { 128 << 10 }
    /// Room an extent read should have at least before the buffer is flushed.
    private static var minimumReadRoom: Int { 64 << 10 }
    /// Extent header: length UInt32 + offset UInt64.
    private static var extentHeaderSize: Int { 12 }

    init(sink: Sink, root: Int32) {
        self.sink = sink
        self.root = root
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
    }

    deinit {
        buffer.deallocate()
        if cachedParentFD >= 0 { close(cachedParentFD) }
    }

    func run(since: [TreeManifestEntry]?) throws -> TreeStreamStats {
        // A full stream's manifest takes a single-name file's xattr digest
        // from the attributes it sends (read from the file's descriptor),
        // not from a second read in the scan: they are what the receiver got.
        let fileXattrsFromSend = since == nil && keepsManifest
        let scanStarted = XattrReuse.now()
        // A scan kept for a digest (a move's delta, a replica's frozen one)
        // looks the files up in the cache as it walks, on all its threads.
        let nodes = try TreeScanner.scan(
            root: root, includeXattrDigests: since != nil || keepsManifest, exceptSingleLinkFiles: fileXattrsFromSend,
            reuse: xattrReuse, digests: keepsNodes ? digests : nil)
        var selected = [Bool](repeating: true, count: nodes.count)
        var deletions: [[UInt8]] = []
        if let since {
            (selected, deletions) = try TreeStreamDeltaPlan.plan(nodes: nodes, receiver: since)
        } else {
            digests?.retain(Set(nodes.map(\.path)))
        }
        // A delta's scan is what the receiver holds after it too: what it
        // did not send matched the receiver's manifest field for field.
        if keepsManifest { scanned = nodes.map(\.manifestEntry) }
        if keepsNodes { self.nodes = nodes }
        try append(TreeStreamFormat.magic)
        for path in deletions {
            try appendKind(.delete)
            try appendBytes32(path)
            stats.deleted += 1
        }
        var vanished: [Int] = []
        var reusableNodes = keepsReusable ? nodes : []
        for (index, node) in nodes.enumerated() where selected[index] {
            let attributes = try send(node)
            guard fileXattrsFromSend, node.kind == .file, node.linkCount == 1 else { continue }
            if let attributes {
                let digest = TreeStreamXattrs.digest(attributes)
                scanned[index].xattrDigest = digest
                if keepsReusable { reusableNodes[index].xattrDigest = digest }
            } else {
                vanished.append(index)
            }
        }
        // Not sent, so not at the receiver: a delta sends it if it is back.
        for index in vanished.reversed() { scanned.remove(at: index) }
        if keepsReusable {
            // A vanished file's attributes were never read: nothing to reuse.
            for index in vanished.reversed() { reusableNodes.remove(at: index) }
            // Only a scan that has every entry's attributes (a delta's, or
            // a full stream's with those it sent) can vouch for them.
            reusable = since != nil || fileXattrsFromSend ? XattrReuse(nodes: reusableNodes, scanStarted: scanStarted) : nil
        }
        try appendKind(.end)
        try appendInteger(UInt64(stats.entries))
        try appendInteger(UInt64(stats.deleted))
        try appendInteger(stats.fileBytes)
        try flush()
        return stats
    }

    // MARK: - Records

    /// Sends one entry; for a regular file, the attributes it was sent with
    /// (nil when it vanished); for anything else, no attributes.
    @discardableResult
    private func send(_ node: ScannedNode) throws -> [ExtendedAttribute]? {
        let display = Posix.display(node.path)
        guard node.path.count <= TreeStreamFormat.maximumPathLength else {
            throw TreeProblem(
                path: display,
                problem: "\"\(display)\" has a path longer than \(TreeStreamFormat.maximumPathLength) bytes, which a tree stream cannot carry",
                remedy: "shorten the path inside the guest")
        }
        if node.kind == .charDevice || node.kind == .blockDevice {
            let numbers = node.deviceNumbers ?? (0, 0)
            guard node.kind == .charDevice && numbers.major == 0 && numbers.minor == 0 else {
                let noun = node.kind == .charDevice ? "character" : "block"
                throw TreeProblem(
                    path: display,
                    problem: "\"\(display)\" is a \(noun) device \(numbers.major):\(numbers.minor); device nodes other than overlay whiteouts (character devices 0:0) cannot be streamed and would be refused by the receiver",
                    remedy: "remove the device node from the guest's layer (the guest gets /dev at start)")
            }
        }
        let components = MemberPath.split(node.path)
        guard let name = components.last, let parent = try parentDirectory(of: components.dropLast()) else { return nil }
        let key = InodeKey(device: node.device, inode: node.inode)
        if node.kind == .file && node.linkCount > 1, let first = firstNames[key] {
            try appendKind(.hardLink)
            try appendBytes32(node.path)
            try appendBytes32(first)
            stats.entries += 1
            return []
        }
        switch node.kind {
        case .file:
            guard let attributes = try sendFile(node, name: name, parent: parent, display: display) else { return nil }
            if node.linkCount > 1 { firstNames[key] = node.path }
            return attributes
        case .directory, .fifo, .charDevice:
            guard let attributes = try skippingVanished({
                try TreeStreamXattrs.read(.entry(parent: parent, name: name), displayPath: display)
            }) else { return nil }
            let kind: TreeStreamFormat.RecordKind = switch node.kind {
            case .directory: .directory
            case .fifo: .fifo
            default: .characterDevice
            }
            try appendHeader(kind, node.path, mode: node.mode, uid: node.uid, gid: node.gid,
                             modified: node.modified, attributes: attributes, display: display)
            if kind == .characterDevice {
                try appendInteger(UInt32(0))
                try appendInteger(UInt32(0))
            }
            stats.entries += 1
        case .symlink:
            let target = node.linkTarget ?? []
            guard !target.isEmpty && target.count <= TreeStreamFormat.maximumLinkTargetLength else {
                throw TreeProblem(
                    path: display,
                    problem: "symlink \"\(display)\" has a target of \(target.count) bytes, which a tree stream cannot carry",
                    remedy: "fix the symlink inside the guest")
            }
            guard let attributes = try skippingVanished({
                try TreeStreamXattrs.read(.entry(parent: parent, name: name), displayPath: display)
            }) else { return nil }
            try appendHeader(.symlink, node.path, mode: node.mode, uid: node.uid, gid: node.gid,
                             modified: node.modified, attributes: attributes, display: display)
            try appendBytes32(target)
            stats.entries += 1
        case .blockDevice, .socket:
            return nil  // refused above / not carried
        }
        return []
    }

    /// Sends a regular file with the metadata `fstat` reports after opening
    /// it, taken before any data is read: whatever changes later changes the
    /// mtime too, so the delta notices. Returns the attributes it sent, nil
    /// when the file vanished.
    private func sendFile(_ node: ScannedNode, name: [UInt8], parent: Int32, display: String) throws -> [ExtendedAttribute]? {
        let fd = Posix.openForReading(at: parent, name: name)
        if fd < 0 {
            let code = errno
            // Gone, or swapped for a symlink, a socket or a directory's content moved.
            if code == ENOENT || code == ELOOP || code == ENOTDIR || code == ENXIO { return nil }
            throw TreeProblem.system("open", on: display, errno: code)
        }
        let file = FileDescriptor(adopting: fd)
        let status = try Posix.status(of: file.raw, displayPath: display)
        guard status.st_mode & S_IFMT == S_IFREG else { return nil }
        let attributes = try TreeStreamXattrs.read(.descriptor(file.raw), displayPath: display)
        _ = posix_fadvise(file.raw, 0, 0, POSIX_FADV_SEQUENTIAL)

        try appendHeader(.file, node.path, mode: status.st_mode & 0o7777, uid: status.st_uid, gid: status.st_gid,
                         modified: status.st_mtim, attributes: attributes, display: display)
        let size = Int64(status.st_size)
        try appendInteger(UInt64(size))
        let digest = digests == nil ? nil : StreamedFileDigest()
        let complete = try appendExtents(of: file.raw, size: size, display: display, digest: digest)
        try appendInteger(UInt32(0))
        stats.entries += 1
        // Recorded only as the cache trusts any hash: the file unchanged
        // from before the first read to after the last, and not changed
        // just before the stream began.
        if let digest, complete, let after = try? Posix.status(of: file.raw, displayPath: display) {
            digests?.record(node.path, before: status, after: after, digest: digest.finish(size: size))
        }
        return attributes
    }

    /// The data regions of the first `size` bytes, found with SEEK_DATA/SEEK_HOLE,
    /// also fed to `digest`. False if the file shrank while it was read.
    private func appendExtents(of fd: Int32, size: Int64, display: String, digest: StreamedFileDigest?) throws -> Bool {
        var offset: Int64 = 0
        while offset < size {
            var dataStart = Int64(lseek(fd, off_t(offset), TreeStreamSystemCalls.seekData))
            var dataEnd = size
            if dataStart < 0 {
                let code = errno
                if code == ENXIO { return true }  // only a hole (or nothing) beyond offset
                guard code == EINVAL || code == EOPNOTSUPP else { throw TreeProblem.system("lseek", on: display, errno: code) }
                dataStart = offset  // no hole support: everything is data
            } else {
                let hole = Int64(lseek(fd, off_t(dataStart), TreeStreamSystemCalls.seekHole))
                if hole < 0 {
                    let code = errno
                    if code == ENXIO { return false }  // the file shrank meanwhile
                    throw TreeProblem.system("lseek", on: display, errno: code)
                }
                dataEnd = min(hole, size)
            }
            if dataStart >= size { return true }
            var position = dataStart
            while position < dataEnd {
                if flushAt - used < Self.extentHeaderSize + Self.minimumReadRoom { try flush() }
                let room = flushAt - used - Self.extentHeaderSize
                let wanted = Int(min(Int64(room), dataEnd - position))
                let count = try TreeStreamSystemCalls.read(
                    fd, into: buffer.baseAddress! + used + Self.extentHeaderSize, count: wanted, at: position,
                    displayPath: display)
                if count == 0 { return false }  // the file shrank meanwhile: the rest stays a hole
                digest?.add(UnsafeRawBufferPointer(start: buffer.baseAddress! + used + Self.extentHeaderSize, count: count), at: position)
                // The header records what was actually read, whatever the file does next.
                buffer.storeBytes(of: UInt32(count).littleEndian, toByteOffset: used, as: UInt32.self)
                buffer.storeBytes(of: UInt64(position).littleEndian, toByteOffset: used + 4, as: UInt64.self)
                used += Self.extentHeaderSize + count
                position += Int64(count)
                stats.fileBytes += UInt64(count)
            }
            offset = dataEnd
        }
        return true
    }

    private func appendHeader(
        _ kind: TreeStreamFormat.RecordKind, _ path: [UInt8], mode: UInt32, uid: UInt32, gid: UInt32,
        modified: timespec, attributes: [ExtendedAttribute], display: String
    ) throws {
        let attributeBytes = attributes.reduce(0) { $0 + $1.name.count + $1.value.count }
        guard attributes.count <= TreeStreamFormat.maximumXattrCount,
              attributeBytes <= TreeStreamFormat.maximumXattrBytes,
              attributes.allSatisfy({ $0.name.count <= TreeStreamFormat.maximumXattrNameLength
                  && $0.value.count <= TreeStreamFormat.maximumXattrValueLength })
        else {
            throw TreeProblem(
                path: display,
                problem: "\"\(display)\" has more extended attributes than a tree stream carries (\(attributes.count) attributes, \(attributeBytes) bytes)",
                remedy: "remove extended attributes from it inside the guest")
        }
        try appendKind(kind)
        try appendBytes32(path)
        try appendInteger(mode)
        try appendInteger(uid)
        try appendInteger(gid)
        try appendInteger(Int64(modified.tv_sec))
        try appendInteger(UInt32(truncatingIfNeeded: modified.tv_nsec))
        try appendInteger(UInt32(attributes.count))
        for attribute in attributes {
            try appendInteger(UInt16(attribute.name.count))
            try append(attribute.name)
            try appendBytes32(attribute.value)
        }
    }

    // MARK: - Source directories

    /// The directory holding an entry, opened step by step from the root
    /// without following symlinks; nil when it vanished or was replaced since
    /// the scan (the entry is then skipped: a later delta sends it).
    private func parentDirectory(of components: ArraySlice<[UInt8]>) throws -> Int32? {
        let key = MemberPath.joined(components)
        if key == cachedParentPath { return cachedParentFD }
        var current = fcntl(root, F_DUPFD_CLOEXEC, 0)
        if current < 0 { throw TreeProblem.system("dup", on: ".", errno: errno) }
        var prefix: [UInt8] = []
        for name in components {
            prefix = prefix.isEmpty ? name : prefix + [TreeStreamPath.separator] + name
            let next = Posix.withCString(name) { openat(current, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            let code = errno
            close(current)
            if next < 0 {
                if code == ENOENT || code == ENOTDIR || code == ELOOP { return nil }
                throw TreeProblem.system("open directory", on: Posix.display(prefix), errno: code)
            }
            current = next
        }
        if cachedParentFD >= 0 { close(cachedParentFD) }
        cachedParentFD = current
        cachedParentPath = key
        return current
    }

    private func skippingVanished<T>(_ body: () throws -> T) throws -> T? {
        do {
            return try body()
        } catch let problem as TreeProblem where TreeScanner.vanished(problem) {
            return nil
        }
    }

    // MARK: - Output

    private func flush() throws {
        guard used > 0 else { return }
        try sink.write(UnsafeRawBufferPointer(start: buffer.baseAddress, count: used))
        used = 0
        flushAt = min(flushAt * 2, buffer.count)
    }

    private func append(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            if used >= flushAt { try flush() }
            let count = min(bytes.count - offset, flushAt - used)
            (buffer.baseAddress! + used).copyMemory(from: bytes.baseAddress! + offset, byteCount: count)
            used += count
            offset += count
        }
    }

    private func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }

    private func appendBytes32(_ bytes: [UInt8]) throws {
        try appendInteger(UInt32(bytes.count))
        try append(bytes)
    }

    private func appendKind(_ kind: TreeStreamFormat.RecordKind) throws {
        try appendInteger(kind.rawValue)
    }

    private func appendInteger<T: FixedWidthInteger>(_ value: T) throws {
        let size = MemoryLayout<T>.size
        if flushAt - used < size { try flush() }
        buffer.storeBytes(of: value.littleEndian, toByteOffset: used, as: T.self)
        used += size
    }
}
