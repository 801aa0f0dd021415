import FleetTestSupport
import FleetTree
import FleetTreeStream
import Foundation
import Glibc
import Synchronization
import Testing

// MARK: - Helpers shared by the tree stream tests

/// Test directories under /var/tmp: trusted.* xattrs and whiteouts need a real
/// file system (ext4 here), which /tmp need not be.
enum StreamTestDirectory {
    static func make() throws -> String {
        let path = "/var/tmp/FleetTreeStreamTests-\(UUID().uuidString)"
        try TestDirectory.makeDirectory(path, mode: 0o755)
        return path
    }
}

/// Extended attributes for fixtures (Glibc's module does not export <sys/xattr.h>).
enum TestXattr {
    private typealias SetCall = @convention(c) (
        UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeRawPointer?, Int, Int32) -> Int32
    private typealias GetCall = @convention(c) (
        UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?, Int) -> Int
    private typealias RemoveCall = @convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32
    private static let lset = unsafeBitCast(dlsym(nil, "lsetxattr")!, to: SetCall.self)
    private static let lget = unsafeBitCast(dlsym(nil, "lgetxattr")!, to: GetCall.self)
    private static let lremove = unsafeBitCast(dlsym(nil, "lremovexattr")!, to: RemoveCall.self)

    static func set(_ path: String, _ name: String, _ value: [UInt8]) throws {
        let rc = value.withUnsafeBytes { lset(path, name, $0.baseAddress, $0.count, 0) }
        if rc != 0 { throw TestFailure("lsetxattr \(name) on \(path): \(String(cString: strerror(errno)))") }
    }

    static func set(_ path: String, _ name: String, _ value: String) throws {
        try set(path, name, Array(value.utf8))
    }

    static func remove(_ path: String, _ name: String) throws {
        if lremove(path, name) != 0 { throw TestFailure("lremovexattr \(name) on \(path): \(String(cString: strerror(errno)))") }
    }

    static func get(_ path: String, _ name: String) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { lget(path, name, $0.baseAddress, $0.count) }
        return count < 0 ? nil : Array(buffer[0..<count])
    }
}

enum StreamFixture {
    static func setTime(_ path: String, seconds: Int, nanoseconds: Int) throws {
        var times = [timespec(tv_sec: seconds, tv_nsec: nanoseconds), timespec(tv_sec: seconds, tv_nsec: nanoseconds)]
        if utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) != 0 {
            throw TestFailure("utimensat \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func randomBytes(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let fd = open("/dev/urandom", O_RDONLY)
        guard fd >= 0 else { throw TestFailure("open /dev/urandom") }
        defer { close(fd) }
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, count - done) }
            guard n > 0 else { throw TestFailure("read /dev/urandom") }
            done += n
        }
        return bytes
    }

    static func writeAt(_ path: String, offset: Int, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY)
        guard fd >= 0 else { throw TestFailure("open \(path)") }
        defer { close(fd) }
        let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
        guard n == bytes.count else { throw TestFailure("pwrite \(path)") }
    }

    static func makeSparseFile(_ path: String, size: Int, blocksAt offsets: [Int]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw TestFailure("create \(path)") }
        defer { close(fd) }
        guard ftruncate(fd, off_t(size)) == 0 else { throw TestFailure("ftruncate \(path)") }
        let block = [UInt8](repeating: 0xab, count: 4096)
        for offset in offsets {
            let n = block.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
            guard n == block.count else { throw TestFailure("pwrite \(path)") }
        }
    }

    /// A v2 `security.capability` value granting CAP_NET_RAW (permitted, effective).
    static let netRawCapability: [UInt8] = {
        func le(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        return le(0x0200_0001) + le(1 << 13) + le(0) + le(0) + le(0)
    }()

    /// Builds a tree with every kind of entry an overlay upper directory holds.
    static func makeSourceTree(at root: String) throws {
        try TestDirectory.writeFile(root + "/empty", [])
        try TestDirectory.writeFile(root + "/random.bin", try randomBytes(3 << 20))
        try TestDirectory.makeDirectory(root + "/bin")
        try TestDirectory.writeFile(root + "/bin/su", "su binary\n", mode: 0o4755)
        try TestDirectory.writeFile(root + "/bin/ping", "ping binary\n", mode: 0o755)
        try TestXattr.set(root + "/bin/ping", "security.capability", netRawCapability)
        try TestXattr.set(root + "/bin/ping", "user.comment", "pings")
        try TestXattr.set(root + "/bin/ping", "user.empty", [])
        try TestDirectory.symlink(root + "/bin/sh", to: "/bin/busybox")
        try TestDirectory.symlink(root + "/bin/rel", to: "../random.bin")
        try TestDirectory.symlink(root + "/dangling", to: "does/not/exist")
        try TestDirectory.makeDirectory(root + "/private", mode: 0o700)
        try TestDirectory.writeFile(root + "/private/secret", "s3cret\n", mode: 0o600)
        try TestDirectory.makeDirectory(root + "/tmp", mode: 0o1777)
        try TestDirectory.makeDirectory(root + "/setgid", mode: 0o2751)
        try TestDirectory.makeDirectory(root + "/readonly", mode: 0o555)
        try TestDirectory.writeFile(root + "/readonly/file", "ro\n", mode: 0o444)
        // Three names of one inode, across directories.
        try TestDirectory.makeDirectory(root + "/links")
        try TestDirectory.writeFile(root + "/links/a", "linked content\n")
        try TestDirectory.hardLink(root + "/links/b", to: root + "/links/a")
        try TestDirectory.hardLink(root + "/bin/c", to: root + "/links/a")
        try TestDirectory.makeDirectory(root + "/run")
        #expect(mkfifo(root + "/run/fifo", 0o620) == 0)
        _ = chmod(root + "/run/fifo", 0o620)
        // Overlay whiteout and opaque/redirected directories.
        #expect(mknod(root + "/removed", S_IFCHR | 0o000, 0) == 0)
        try TestDirectory.makeDirectory(root + "/opaque")
        try TestXattr.set(root + "/opaque", "trusted.overlay.opaque", "y")
        try TestDirectory.writeFile(root + "/opaque/inside", "new layer content\n")
        try TestDirectory.makeDirectory(root + "/moved")
        try TestXattr.set(root + "/moved", "trusted.overlay.redirect", "/original")
        try makeSparseFile(root + "/sparse.img", size: 100 << 20, blocksAt: [0, 50 << 20, (100 << 20) - 4096])
        // Owners other than root.
        try TestDirectory.makeDirectory(root + "/home")
        try TestDirectory.writeFile(root + "/home/owned", "mine\n")
        try TestDirectory.chown(root + "/home/owned", uid: 1234, gid: 5678)
        try TestDirectory.chown(root + "/home", uid: 1234, gid: 5678)
        try TestDirectory.symlink(root + "/home/link", to: "owned")
        try TestDirectory.chown(root + "/home/link", uid: 1234, gid: 5678)
        // Names that are not plain ASCII: two Unicode spellings of "é" (distinct
        // names on Linux), invalid UTF-8, a newline.
        try TestDirectory.writeFile(root + "/caf\u{e9}", "nfc\n")
        try TestDirectory.writeFile(root + "/cafe\u{301}", "nfd\n")
        let badName = Array((root + "/bad").utf8) + [0xff, 0xfe]
        let fd = badName.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { Array($0) + [0] }.withUnsafeBufferPointer {
                open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            }
        }
        #expect(fd >= 0)
        close(fd)
        try TestDirectory.writeFile(root + "/new\nline", "newline\n")

        // Specific times (with nanoseconds), directories last since adding content changes them.
        var second = 1_600_000_000
        for path in ["/empty", "/random.bin", "/bin/su", "/bin/ping", "/bin/sh", "/dangling", "/links/a", "/run/fifo",
                     "/removed", "/sparse.img", "/home/owned", "/home/link"] {
            second += 1000
            try setTime(root + path, seconds: second, nanoseconds: 123_456_789 + second % 1000)
        }
        for path in ["/bin", "/private", "/tmp", "/setgid", "/readonly", "/links", "/run", "/opaque", "/moved", "/home"] {
            second += 1000
            try setTime(root + path, seconds: second, nanoseconds: 987_654_321)
        }
    }

    /// Streams `source` into `destination` through memory, reading back in odd
    /// sizes; checks the reader stops at the end record and both sides agree.
    @discardableResult
    static func transfer(
        from source: String, to destination: String, since: [TreeManifestEntry]? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> TreeStreamStats {
        var sink = MemorySink()
        let sent = try TreeStreamWriter.write(root: source, to: &sink, since: since)
        let trailer: [UInt8] = [1, 2, 3]
        var input = MemorySource(sink.bytes + trailer, maximumRead: 65_521)
        let applied = try TreeStreamReader.apply(from: &input, into: destination)
        #expect(applied == sent, sourceLocation: sourceLocation)
        #expect(input.offset == sink.bytes.count, "reader read past the end record", sourceLocation: sourceLocation)
        return sent
    }

    /// Digest, and every manifest field, must match.
    static func expectSameTrees(_ left: String, _ right: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try TreeDigester.digest(root: left) == TreeDigester.digest(root: right), sourceLocation: sourceLocation)
        let leftManifest = try TreeManifest.build(root: left)
        let rightManifest = try TreeManifest.build(root: right)
        #expect(leftManifest.count == rightManifest.count, sourceLocation: sourceLocation)
        let rightByPath = Dictionary(rightManifest.map { (Array($0.path.utf8), $0) }, uniquingKeysWith: { first, _ in first })
        for entry in leftManifest {
            let other = rightByPath[Array(entry.path.utf8)]
            #expect(other == entry, "manifest entry differs for \(entry.path.debugDescription)", sourceLocation: sourceLocation)
        }
        #expect(leftManifest == rightManifest, sourceLocation: sourceLocation)
    }
}

// MARK: - Round trips

@Suite(.tags(.root)) struct TreeStreamTests {
    @Test func fullStreamReproducesEverything() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let source = directory + "/source"
        let destination = directory + "/destination"
        try TestDirectory.makeDirectory(source)
        try TestDirectory.makeDirectory(destination)
        try StreamFixture.makeSourceTree(at: source)

        let stats = try StreamFixture.transfer(from: source, to: destination)

        try StreamFixture.expectSameTrees(source, destination)
        #expect(stats.deleted == 0)
        // 3 MiB of random data, three 4 KiB blocks of the sparse file, and small files.
        #expect(stats.fileBytes > UInt64((3 << 20) + 3 * 4096) && stats.fileBytes < UInt64((3 << 20) + 3 * 4096 + 1000))
        let a = try TestDirectory.lstatus(destination + "/links/a")
        #expect(try TestDirectory.lstatus(destination + "/links/b").st_ino == a.st_ino)
        #expect(try TestDirectory.lstatus(destination + "/bin/c").st_ino == a.st_ino)
        #expect(a.st_nlink == 3)
        let sparse = try TestDirectory.lstatus(destination + "/sparse.img")
        #expect(sparse.st_size == 100 << 20)
        #expect(sparse.st_blocks < 1024, "sparse file was filled in: \(sparse.st_blocks) blocks")
        #expect(try TestDirectory.lstatus(destination + "/bin/su").st_mode & 0o7777 == 0o4755)
        #expect(try TestDirectory.lstatus(destination + "/setgid").st_mode & 0o7777 == 0o2751)
        let whiteout = try TestDirectory.lstatus(destination + "/removed")
        #expect(whiteout.st_mode & S_IFMT == S_IFCHR && whiteout.st_rdev == 0)
        #expect(TestXattr.get(destination + "/bin/ping", "security.capability") == StreamFixture.netRawCapability)
        #expect(TestXattr.get(destination + "/bin/ping", "user.comment") == Array("pings".utf8))
        #expect(TestXattr.get(destination + "/opaque", "trusted.overlay.opaque") == Array("y".utf8))
        #expect(TestXattr.get(destination + "/moved", "trusted.overlay.redirect") == Array("/original".utf8))
        let owned = try TestDirectory.lstatus(destination + "/home/link")
        #expect(owned.st_uid == 1234 && owned.st_gid == 5678)
        let times = try TestDirectory.lstatus(destination + "/home/link").st_mtim
        let sourceTimes = try TestDirectory.lstatus(source + "/home/link").st_mtim
        #expect(times.tv_sec == sourceTimes.tv_sec && times.tv_nsec == sourceTimes.tv_nsec)
    }

    @Test func statsCountEntriesAndDataBytes() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let source = directory + "/source"
        try TestDirectory.makeDirectory(source)
        try TestDirectory.makeDirectory(source + "/d")
        try TestDirectory.writeFile(source + "/d/f", "12345")
        try TestDirectory.hardLink(source + "/d/g", to: source + "/d/f")
        try TestDirectory.symlink(source + "/l", to: "d/f")
        try StreamFixture.makeSparseFile(source + "/s", size: 1 << 20, blocksAt: [8192])
        try UnixSocketFile.make(at: source + "/sock")
        try TestDirectory.makeDirectory(directory + "/out")

        let stats = try StreamFixture.transfer(from: source, to: directory + "/out")

        // d, d/f, d/g (link), l, s; the socket is not carried.
        #expect(stats == TreeStreamStats(entries: 5, fileBytes: 5 + 4096, deleted: 0))
        #expect(try TreeManifest.build(root: source).map(\.path) == ["d", "d/f", "d/g", "l", "s"])
        // The copy digests as its source: a move compares the two at adopt.
        #expect(try TreeDigester.digest(root: directory + "/out") == TreeDigester.digest(root: source))
    }

    @Test func deltaBringsAChangedTreeUpToDate() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let source = directory + "/source"
        let destination = directory + "/destination"
        try TestDirectory.makeDirectory(source)
        try TestDirectory.makeDirectory(destination)
        try StreamFixture.makeSourceTree(at: source)
        for path in ["/deep", "/deep/a", "/deep/a/b", "/deep/a/b/c"] { try TestDirectory.makeDirectory(source + path) }
        try TestDirectory.writeFile(source + "/deep/a/b/c/file", "deep\n")
        try TestDirectory.writeFile(source + "/deep/keep", "keep\n")
        try StreamFixture.transfer(from: source, to: destination)
        try StreamFixture.expectSameTrees(source, destination)

        // Content (same size), mode, a removed subtree, additions, a file
        // replaced by a directory, a directory by a symlink, xattrs changed and
        // removed, a new name for the hard-linked inode, a new whiteout.
        try StreamFixture.writeAt(source + "/random.bin", offset: 1 << 20, try StreamFixture.randomBytes(4096))
        try StreamFixture.setTime(source + "/random.bin", seconds: 1_700_000_000, nanoseconds: 5)
        #expect(chmod(source + "/bin/su", 0o755) == 0)
        _ = try Shell.run("rm -rf '\(source)/deep/a'")
        try TestDirectory.makeDirectory(source + "/added")
        try TestDirectory.makeDirectory(source + "/added/dir")
        try TestDirectory.writeFile(source + "/added/dir/file", "added\n")
        try TestDirectory.writeFile(source + "/added.txt", "added too\n")
        #expect(unlink(source + "/empty") == 0)
        try TestDirectory.makeDirectory(source + "/empty")
        try TestDirectory.writeFile(source + "/empty/child", "was a file\n")
        _ = try Shell.run("rm -rf '\(source)/private'")
        try TestDirectory.symlink(source + "/private", to: "/srv/private")
        try TestXattr.set(source + "/bin/ping", "user.comment", "pings louder")
        try TestXattr.remove(source + "/opaque", "trusted.overlay.opaque")
        try TestDirectory.hardLink(source + "/links/d", to: source + "/links/a")
        #expect(mknod(source + "/run/gone", S_IFCHR, 0) == 0)

        let receiverManifest = try TreeManifest.build(root: destination)
        let stats = try StreamFixture.transfer(from: source, to: destination, since: receiverManifest)

        try StreamFixture.expectSameTrees(source, destination)
        #expect(stats.deleted == 1, "only deep/a, the top of the removed subtree, is deleted")
        // random.bin, bin/su, deep (mtime), added, added/dir, added/dir/file,
        // added.txt, empty, empty/child, private, bin/ping, opaque, the four
        // names of the linked inode, links (mtime), run/gone, run (mtime).
        #expect(stats.entries == 19)
        let a = try TestDirectory.lstatus(destination + "/links/a")
        for name in ["/links/b", "/links/d", "/bin/c"] {
            #expect(try TestDirectory.lstatus(destination + name).st_ino == a.st_ino, "\(name) is not linked")
        }
        #expect(TestXattr.get(destination + "/opaque", "trusted.overlay.opaque") == nil)
        #expect(TestXattr.get(destination + "/bin/ping", "security.capability") == StreamFixture.netRawCapability)
        #expect(try TestDirectory.lstatus(destination + "/private").st_mode & S_IFMT == S_IFLNK)

        // Nothing left to send.
        let again = try StreamFixture.transfer(from: source, to: destination, since: try TreeManifest.build(root: destination))
        #expect(again == TreeStreamStats(entries: 0, fileBytes: 0, deleted: 0))
    }

    @Test func deltaSendsOnlyWhatChanged() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let source = directory + "/source"
        let destination = directory + "/destination"
        try TestDirectory.makeDirectory(source)
        try TestDirectory.makeDirectory(destination)
        for d in 0..<10 {
            try TestDirectory.makeDirectory(source + "/dir\(d)")
            for f in 0..<50 {
                try TestDirectory.writeFile(source + "/dir\(d)/file\(f)", "content \(d) \(f)\n")
            }
        }
        let full = try StreamFixture.transfer(from: source, to: destination)
        #expect(full.entries == 510)

        try TestDirectory.writeFile(source + "/dir3/file7", "CONTENT 3 7\n")  // same size, in place
        try StreamFixture.setTime(source + "/dir3/file7", seconds: 1_800_000_000, nanoseconds: 1)
        #expect(chmod(source + "/dir5/file9", 0o600) == 0)
        try TestDirectory.writeFile(source + "/dir8/new", "new\n")

        let delta = try StreamFixture.transfer(
            from: source, to: destination, since: try TreeManifest.build(root: destination))

        // file7, file9, new, and dir8 whose mtime changed with the new name.
        #expect(delta.entries == 4)
        #expect(delta.entries < 10)
        #expect(delta.deleted == 0)
        try StreamFixture.expectSameTrees(source, destination)
    }

    @Test func deltaIntoATreeWithAWrongTypeReplacesIt() throws {
        // The receiver got a directory where the sender now has a file, with
        // content the sender never had: the file record removes it all.
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let source = directory + "/source"
        let destination = directory + "/destination"
        try TestDirectory.makeDirectory(source)
        try TestDirectory.makeDirectory(destination)
        try TestDirectory.makeDirectory(source + "/x")
        try TestDirectory.makeDirectory(source + "/x/y")
        try TestDirectory.writeFile(source + "/x/y/z", "z\n")
        try StreamFixture.transfer(from: source, to: destination)
        _ = try Shell.run("rm -rf '\(source)/x' && echo file > '\(source)/x'")

        let stats = try StreamFixture.transfer(from: source, to: destination, since: try TreeManifest.build(root: destination))

        #expect(stats.deleted == 0)
        try StreamFixture.expectSameTrees(source, destination)
    }

    @Test func liveTreeChangingDuringThePrecopyStillGivesAValidStream() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let source = directory + "/source"
        let destination = directory + "/destination"
        try TestDirectory.makeDirectory(source)
        try TestDirectory.makeDirectory(destination)
        try TestDirectory.makeDirectory(source + "/churn")
        for i in 0..<200 { try TestDirectory.writeFile(source + "/churn/f\(i)", try StreamFixture.randomBytes(i * 512)) }
        try TestDirectory.writeFile(source + "/hot.bin", try StreamFixture.randomBytes(8 << 20))

        // A "guest" rewrites, truncates, creates and deletes files while the pre-copy reads them.
        let guest = BackgroundLoop { iteration in
            let size = (iteration * 7919) % (8 << 20)
            let fd = open(source + "/hot.bin", O_WRONLY | O_TRUNC)
            if fd >= 0 {
                let chunk = [UInt8](repeating: UInt8(truncatingIfNeeded: iteration), count: size)
                _ = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                close(fd)
            }
            let victim = source + "/churn/f\(iteration % 200)"
            unlink(victim)
            let created = open(victim, O_WRONLY | O_CREAT, 0o644)
            if created >= 0 {
                _ = [UInt8](repeating: 7, count: iteration % 5000).withUnsafeBytes { write(created, $0.baseAddress, $0.count) }
                close(created)
            }
        }
        var precopies = 0
        for _ in 0..<5 {
            let scratch = directory + "/precopy\(precopies)"
            try TestDirectory.makeDirectory(scratch)
            try StreamFixture.transfer(from: source, to: scratch)
            precopies += 1
        }
        try StreamFixture.transfer(from: source, to: destination)
        guest.stop()
        #expect(guest.iterations > 0)

        // With the guest stopped, the delta makes the receiver exact.
        try StreamFixture.transfer(from: source, to: destination, since: try TreeManifest.build(root: destination))
        try StreamFixture.expectSameTrees(source, destination)
    }

    /// A file whose data ends before its size (a hole at its end) and an
    /// empty one arrive with their sizes: the receiver truncates only those.
    @Test func aHoleAtTheEndOfAFileKeepsTheFileSize() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let source = directory + "/source"
        let destination = directory + "/destination"
        try TestDirectory.makeDirectory(source)
        try TestDirectory.makeDirectory(destination)
        try StreamFixture.makeSparseFile(source + "/tail-hole", size: 1 << 20, blocksAt: [0])
        try StreamFixture.makeSparseFile(source + "/only-hole", size: 64 << 10, blocksAt: [])
        try TestDirectory.writeFile(source + "/empty", [])
        try StreamFixture.transfer(from: source, to: destination)
        #expect(try TestDirectory.lstatus(destination + "/tail-hole").st_size == 1 << 20)
        #expect(try TestDirectory.lstatus(destination + "/only-hole").st_size == 64 << 10)
        #expect(try TestDirectory.lstatus(destination + "/empty").st_size == 0)
        try StreamFixture.expectSameTrees(source, destination)
    }

    /// The migration's race (seen in CI): a file appears just before the
    /// stream, the whole stream carries it, the file goes, and a delta
    /// against a list of the tree made before the stream never deletes it at
    /// the receiver. The receiver's manifest is the stream's own scan, so it
    /// has the file; and it lists the tree as TreeManifest.build does
    /// (xattr digests too), so the delta resends nothing else.
    @Test func aFileCreatedBeforeTheStreamAndGoneBeforeTheDeltaIsDeleted() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let source = directory + "/source"
        let destination = directory + "/destination"
        try TestDirectory.makeDirectory(source)
        try TestDirectory.makeDirectory(destination)
        try TestDirectory.makeDirectory(source + "/data")
        try TestDirectory.writeFile(source + "/data/kept", [1, 2, 3])
        try TestXattr.set(source + "/data/kept", "user.comment", "kept")
        try TestDirectory.writeFile(source + "/data/new1", [4])
        try TestDirectory.makeDirectory(source + "/data/newdir")
        try TestDirectory.writeFile(source + "/data/newdir/f", [5])

        var sink = MemorySink()
        var digests: DigestCache?
        var scanned: [TreeManifestEntry] = []
        _ = try TreeStreamWriter.write(root: source, to: &sink, since: nil, digests: &digests, scanned: &scanned)
        var input = MemorySource(sink.bytes)
        _ = try TreeStreamReader.apply(from: &input, into: destination)
        #expect(Set(scanned.map(\.path)) == Set(["data", "data/kept", "data/new1", "data/newdir", "data/newdir/f"]))
        #expect(scanned == (try TreeManifest.build(root: source)), "the scan lists the tree as TreeManifest.build does")

        unlink(source + "/data/new1")
        unlink(source + "/data/newdir/f")
        rmdir(source + "/data/newdir")
        let delta = try StreamFixture.transfer(from: source, to: destination, since: scanned)
        #expect(delta.deleted == 2)
        #expect(delta.entries == 1, "only data, whose content changed, is sent again, not kept (with its xattr)")
        try StreamFixture.expectSameTrees(source, destination)
    }

    @Test func replacedFilesAreNeverWrittenInPlace() throws {
        // A receiver file that shares its inode with something outside the
        // root must not let the stream change that outside file.
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try TestDirectory.makeDirectory(directory + "/outside")
        try TestDirectory.writeFile(directory + "/outside/precious", "precious\n", mode: 0o600)
        try TestDirectory.makeDirectory(directory + "/root")
        try TestDirectory.hardLink(directory + "/root/f", to: directory + "/outside/precious")
        var stream = CraftedStream()
        stream.file("f", "replaced\n", mode: 0o4777)
        stream.end()
        var source = MemorySource(stream.bytes)

        _ = try TreeStreamReader.apply(from: &source, into: directory + "/root")

        #expect(try String(contentsOfFile: directory + "/root/f", encoding: .utf8) == "replaced\n")
        #expect(try String(contentsOfFile: directory + "/outside/precious", encoding: .utf8) == "precious\n")
        let outside = try TestDirectory.lstatus(directory + "/outside/precious")
        #expect(outside.st_mode & 0o7777 == 0o600 && outside.st_nlink == 1)
    }

    @Test func writerRefusesDeviceNodesTheReceiverWouldRefuse() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try TestDirectory.makeDirectory(directory + "/source")
        #expect(mknod(directory + "/source/null", S_IFCHR | 0o666, dev_t(0x103)) == 0)
        var sink = MemorySink()
        let error = try #require(throws: TreeError.self) {
            try TreeStreamWriter.write(root: directory + "/source", to: &sink)
        }
        #expect(error.path == "null")
        #expect(error.description.contains("character device 1:3"), "\(error)")
    }

    @Test func manifestPathsAreExactForAnyName() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try StreamFixture.makeSourceTree(at: directory)
        let manifest = try TreeManifest.build(root: directory)
        let paths = manifest.map(\.path)
        #expect(paths.contains("caf\u{e9}") && paths.contains("cafe\u{301}"))
        #expect(paths.contains("\u{0}" + "626164fffe"), "invalid UTF-8 is kept as escaped bytes")
        #expect(paths.map { Array($0.utf8) } == paths.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) })
        let ping = try #require(manifest.first { $0.path == "bin/ping" })
        #expect(ping.xattrDigest?.count == 64)
        #expect(manifest.first { $0.path == "empty" }?.xattrDigest == nil)
        let decoded = try JSONDecoder().decode([TreeManifestEntry].self, from: JSONEncoder().encode(manifest))
        #expect(decoded == manifest)
    }
}

/// Runs `body` over and over on its own thread until stopped.
final class BackgroundLoop: Sendable {
    private let state = Mutex<(stopRequested: Bool, count: Int)>((false, 0))
    private let finished = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable (Int) -> Void) {
        Thread.detachNewThread { [self] in
            var iteration = 0
            while !shouldStop() {
                body(iteration)
                iteration += 1
                state.withLock { $0.count = iteration }
            }
            finished.signal()
        }
    }

    var iterations: Int { state.withLock { $0.count } }

    func stop() {
        state.withLock { $0.stopRequested = true }
        finished.wait()
    }

    private func shouldStop() -> Bool {
        state.withLock { $0.stopRequested }
    }
}
