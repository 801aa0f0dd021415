import FleetTestSupport
import FleetTree
import FleetTreeStream
import Foundation
import Glibc
import Testing

/// Reading a guest's files to send, hash or read back leaves their access
/// times alone (O_NOATIME): such a read is not the guest's, and under
/// `relatime` each one dirtied an inode and wrote the journal.
///
/// Every file here gets an atime an hour before its mtime, which `relatime`
/// (the test directory's mount, /var/tmp) updates on the next plain read; a
/// control file read plainly shows that it does, so a mount that never
/// updates atimes fails the test instead of passing it for nothing.
@Suite struct AccessTimeTests {
    static let files = ["a", "d/b", "d/e/c"]
    /// Listed by every walk: their atimes are kept too ("" is the root).
    static let directories = ["", "d", "d/e"]

    /// A tree of three files whose atimes are an hour older than their mtimes.
    static func makeTree(_ root: String) throws {
        try TestDirectory.makeDirectory(root)
        try TestDirectory.makeDirectory(root + "/d")
        try TestDirectory.makeDirectory(root + "/d/e")
        for (i, file) in files.enumerated() {
            try TestDirectory.writeFile(root + "/" + file, Array(repeating: UInt8(65 + i), count: 5_000 + i))
            try ageAccessTime(root + "/" + file)
        }
        for directory in directories { try ageAccessTime(root + "/" + directory) }
    }

    static func ageAccessTime(_ path: String) throws {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var times = [timespec(tv_sec: now.tv_sec - 3_600, tv_nsec: 0), timespec(tv_sec: 0, tv_nsec: Posix.timeOmit)]
        if utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) != 0 {
            throw TestFailure("utimensat \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func accessTime(_ path: String) throws -> timespec {
        var status = stat()
        if lstat(path, &status) != 0 { throw TestFailure("lstat \(path): \(String(cString: strerror(errno)))") }
        return status.st_atim
    }

    static func same(_ left: timespec, _ right: timespec) -> Bool {
        left.tv_sec == right.tv_sec && left.tv_nsec == right.tv_nsec
    }

    /// A plain read of a file, and a plain listing of a directory, with an
    /// aged atime update it here: the premise every test below needs.
    static func requireAccessTimesUpdate(in directory: String) throws {
        let control = directory + "/control"
        try TestDirectory.writeFile(control, "control")
        try ageAccessTime(control)
        let before = try accessTime(control)
        _ = try Data(contentsOf: URL(fileURLWithPath: control))
        try #require(!same(before, try accessTime(control)),
                     "a plain read left the atime of \(control) alone: this mount does not update atimes, so nothing here can be checked")
        let listed = directory + "/listed"
        try TestDirectory.makeDirectory(listed)
        try TestDirectory.writeFile(listed + "/x", "x")
        try ageAccessTime(listed)
        let listedBefore = try accessTime(listed)
        _ = try FileManager.default.contentsOfDirectory(atPath: listed)
        try #require(!same(listedBefore, try accessTime(listed)),
                     "a plain listing left the atime of \(listed) alone: this mount does not update atimes, so nothing here can be checked")
    }

    static func accessTimes(under root: String) throws -> [String: timespec] {
        var times: [String: timespec] = [:]
        for path in files + directories { times[path] = try accessTime(root + "/" + path) }
        return times
    }

    static func expectUnchanged(_ before: [String: timespec], under root: String, by what: String,
                                sourceLocation: SourceLocation = #_sourceLocation) throws {
        for path in files + directories {
            let now = try accessTime(root + "/" + path)
            #expect(same(before[path]!, now), "\(what) changed the atime of '\(path)'", sourceLocation: sourceLocation)
        }
    }

    /// Makes the aged tree under a new directory, lets `read` read it, and
    /// checks that no atime of it changed.
    static func expectAccessTimesKept(by what: String, sourceLocation: SourceLocation = #_sourceLocation,
                                      _ read: (_ source: String, _ directory: String) throws -> Void) throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try requireAccessTimesUpdate(in: directory)
        let source = directory + "/source"
        try makeTree(source)
        let before = try accessTimes(under: source)
        try read(source, directory)
        try expectUnchanged(before, under: source, by: what, sourceLocation: sourceLocation)
    }

    @Test func streamingATreeLeavesItsAccessTimesAlone() throws {
        try Self.expectAccessTimesKept(by: "sending the tree") { source, _ in
            // With a digest cache: the sender hashes what it reads, as a move does.
            var sink = MemorySink()
            var digests: DigestCache? = DigestCache()
            var scanned: [TreeManifestEntry] = []
            let stats = try TreeStreamWriter.write(root: source, to: &sink, since: nil, digests: &digests, scanned: &scanned)
            #expect(stats.entries == 5)
        }
    }

    @Test func digestingATreeLeavesItsAccessTimesAlone() throws {
        try Self.expectAccessTimesKept(by: "digesting the tree") { source, _ in
            var cache: DigestCache? = DigestCache()
            _ = try TreeDigester.digest(root: source, cache: &cache)
        }
    }

    @Test func copyingATreeLeavesItsAccessTimesAlone() throws {
        try Self.expectAccessTimesKept(by: "copying the tree") { source, directory in
            try TreeCopier.copy(from: source, to: directory + "/copy")
            #expect(try TreeDigester.digest(root: directory + "/copy") == TreeDigester.digest(root: source))
        }
    }

    /// The receiver reads each file it wrote back to hash it; the file's
    /// atime stays that of its creation. Checked on the helper both of the
    /// receiver's paths create files with: a file made through it, its
    /// atime aged, then read through the same descriptor.
    @Test func aFileCreatedToBeReadBackKeepsItsAccessTime() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try Self.requireAccessTimesUpdate(in: directory)
        let parent = try Posix.openRoot(directory)
        let fd = Posix.createForWritingAndReading(at: parent.raw, name: Array("made".utf8))
        try #require(fd >= 0, "create failed: \(String(cString: strerror(errno)))")
        defer { close(fd) }
        let bytes = [UInt8](repeating: 7, count: 4_096)
        #expect(bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } == 4_096)
        try Self.ageAccessTime(directory + "/made")
        let before = try Self.accessTime(directory + "/made")
        var back = [UInt8](repeating: 0, count: 4_096)
        #expect(back.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) } == 4_096)
        #expect(back == bytes)
        #expect(Self.same(before, try Self.accessTime(directory + "/made")), "reading back the file changed its atime")
    }

    /// And a whole stream applied with writer threads and digests (the
    /// receiver's read-back): every file is there with its content.
    @Test func aStreamAppliedWithReadBackStillWritesEveryFile() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let source = directory + "/source"
        try Self.makeTree(source)
        var sink = MemorySink()
        _ = try TreeStreamWriter.write(root: source, to: &sink)
        for writers in [0, 2] {
            let destination = directory + "/copy\(writers)"
            try TestDirectory.makeDirectory(destination)
            var input = MemorySource(sink.bytes)
            var written: DigestCache? = DigestCache()
            _ = try TreeStreamReader.apply(from: &input, into: destination, digests: &written, newNamesInPlace: true,
                                           writerThreads: writers)
            #expect(try TreeDigester.digest(root: destination) == TreeDigester.digest(root: source))
            #expect(written?.count == Self.files.count)
        }
    }
}
