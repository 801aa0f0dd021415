import FleetTestSupport
import FleetTree
import Foundation
import Testing

@Suite(.tags(.root)) struct TreeDigesterTests {
    /// A small tree with every common kind of entry.
    static func makeSampleTree(at root: String) throws {
        try TestDirectory.makeDirectory(root + "/bin")
        try TestDirectory.writeFile(root + "/bin/busybox", "#!busybox\n", mode: 0o755)
        try TestDirectory.symlink(root + "/bin/sh", to: "busybox")
        try TestDirectory.makeDirectory(root + "/etc", mode: 0o750)
        try TestDirectory.writeFile(root + "/etc/hostname", "guest\n")
        try TestDirectory.writeFile(root + "/etc/passwd", "root:x:0:0::/root:/bin/sh\n", mode: 0o600)
        try TestDirectory.symlink(root + "/etc/mtab", to: "/proc/self/mounts")
        try TestDirectory.makeDirectory(root + "/tmp", mode: 0o1777)
        try TestDirectory.writeFile(root + "/bin/su", "su\n", mode: 0o4755)
        try TestDirectory.hardLink(root + "/bin/login", to: root + "/bin/su")
        #expect(mkfifo(root + "/tmp/fifo", 0o640) == 0)
        _ = chmod(root + "/tmp/fifo", 0o640)
    }

    @Test func digestIsStableAndIndependentOfInodesAndTimes() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        for tree in ["/a", "/b"] {
            try TestDirectory.makeDirectory(directory + tree)
            try Self.makeSampleTree(at: directory + tree)
        }
        _ = try Shell.run("touch -d '2001-01-01' '\(directory)/b/etc/hostname' '\(directory)/b/etc'")

        let first = try TreeDigester.digest(root: directory + "/a")
        #expect(try TreeDigester.digest(root: directory + "/a") == first)
        #expect(try TreeDigester.digest(root: directory + "/b") == first)
        #expect(first.digest.count == 64)
        #expect(first.fileCount == 11)
        let contents = ["#!busybox\n", "guest\n", "root:x:0:0::/root:/bin/sh\n", "su\n", "su\n"]
        let expectedBytes = contents.map(\.utf8.count).reduce(0, +)
        #expect(first.totalBytes == UInt64(expectedBytes))
    }

    @Test func digestChangesWithContentModeOwnerLinkTargetAndName() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let root = directory + "/tree"
        try TestDirectory.makeDirectory(root)
        try Self.makeSampleTree(at: root)
        let original = try TreeDigester.digest(root: root).digest
        var seen: Set<String> = [original]

        func expectNewDigest(_ change: String) throws {
            let digest = try TreeDigester.digest(root: root).digest
            #expect(!seen.contains(digest), "digest did not change after \(change)")
            seen.insert(digest)
        }

        try TestDirectory.writeFile(root + "/etc/hostname", "guesT\n")
        try expectNewDigest("changing one byte")
        _ = chmod(root + "/etc/hostname", 0o640)
        try expectNewDigest("changing a mode")
        if Shell.isRoot {
            try TestDirectory.chown(root + "/etc/hostname", uid: 1234, gid: 0)
            try expectNewDigest("changing an owner")
            try TestDirectory.chown(root + "/etc/hostname", uid: 1234, gid: 99)
            try expectNewDigest("changing a group")
        }
        _ = unlink(root + "/bin/sh")
        try TestDirectory.symlink(root + "/bin/sh", to: "/bin/busybox")
        try expectNewDigest("changing a symlink target")
        #expect(rename(root + "/etc/hostname", root + "/etc/hostnamf") == 0)
        try expectNewDigest("renaming a file")
    }

    @Test func hardLinkLayoutDoesNotMatter() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try TestDirectory.makeDirectory(directory + "/linked")
        try TestDirectory.writeFile(directory + "/linked/a", "same\n")
        try TestDirectory.hardLink(directory + "/linked/b", to: directory + "/linked/a")
        try TestDirectory.makeDirectory(directory + "/copied")
        try TestDirectory.writeFile(directory + "/copied/a", "same\n")
        try TestDirectory.writeFile(directory + "/copied/b", "same\n")

        #expect(try TreeDigester.digest(root: directory + "/linked") == TreeDigester.digest(root: directory + "/copied"))
    }

    @Test func entriesAreSortedBytewiseAndDescribeEachKind() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try TestDirectory.makeDirectory(directory + "/a")
        try TestDirectory.writeFile(directory + "/a/b", "x")
        try TestDirectory.writeFile(directory + "/a-c", "")
        try TestDirectory.writeFile(directory + "/B", "")
        try TestDirectory.symlink(directory + "/link", to: "a/b")

        let entries = try TreeDigester.entries(root: directory)
        // '-' (0x2d) sorts before '/' (0x2f): a plain depth-first walk would get this wrong.
        #expect(entries.map(\.path) == ["B", "a", "a-c", "a/b", "link"])
        let file = try #require(entries.first { $0.path == "a/b" })
        #expect(file.kind == .file)
        #expect(file.size == 1)
        #expect(file.contentDigest == "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881")
        #expect(file.mode == 0o644)
        let link = try #require(entries.first { $0.path == "link" })
        #expect(link.kind == .symlink)
        #expect(link.linkTarget == "a/b")
        #expect(link.contentDigest == nil)
        #expect(entries.first { $0.path == "a" }?.kind == .directory)
    }

    @Test func symlinksAreNeverFollowed() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try TestDirectory.makeDirectory(directory + "/outside")
        try TestDirectory.writeFile(directory + "/outside/secret", "secret")
        try TestDirectory.makeDirectory(directory + "/root")
        try TestDirectory.symlink(directory + "/root/escape", to: directory + "/outside")

        let entries = try TreeDigester.entries(root: directory + "/root")
        #expect(entries.map(\.path) == ["escape"])
        #expect(entries[0].kind == .symlink)
    }

    /// Pins the documented record format so an accidental change, which would
    /// break digests exchanged between machines, fails here.
    @Test func digestMatchesTheDocumentedRecordFormat() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try TestDirectory.makeDirectory(directory + "/bin", mode: 0o755)
        try TestDirectory.symlink(directory + "/bin/sh", to: "busybox")
        try TestDirectory.writeFile(directory + "/bin/su", "su\n", mode: 0o4755)
        #expect(mkfifo(directory + "/p", 0o600) == 0)
        // A socket has no record (a stream does not carry one).
        try UnixSocketFile.make(at: directory + "/bin/socket")
        let owner = try TestDirectory.lstatus(directory + "/bin")
        let ids = "\(owner.st_uid)\0\(owner.st_gid)"

        let records = "bin\0directory\00755\0\(ids)\0\n"
            + "bin/sh\0symlink\00777\0\(ids)\0busybox\n"
            + "bin/su\0file\04755\0\(ids)\0\(sha256("su\n"))\n"
            + "p\0fifo\00600\0\(ids)\0\n"
        let digest = try TreeDigester.digest(root: directory)
        #expect(digest.digest == sha256(records))
        #expect(digest.fileCount == 4)
        #expect(digest.totalBytes == 3)
    }

    @Test func namesWithNewlinesAreEscapedInRecords() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try TestDirectory.symlink(directory + "/a\nb", to: "x\\y")
        let owner = try TestDirectory.lstatus(directory + "/a\nb")

        let record = "a\\nb\0symlink\00777\0\(owner.st_uid)\0\(owner.st_gid)\0x\\\\y\n"
        #expect(try TreeDigester.digest(root: directory).digest == sha256(record))
    }

    @Test(.enabled(if: Shell.canMakeDeviceNodes)) func deviceNodesRecordTheirNumbers() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        // makedev(1, 3) and makedev(8, 1) in the Linux encoding.
        #expect(mknod(directory + "/null", S_IFCHR | 0o666, 0x103) == 0)
        #expect(mknod(directory + "/sda1", S_IFBLK | 0o660, 0x801) == 0)
        _ = chmod(directory + "/null", 0o666)
        _ = chmod(directory + "/sda1", 0o660)
        let owner = try TestDirectory.lstatus(directory + "/null")
        let ids = "\(owner.st_uid)\0\(owner.st_gid)"

        let records = "null\0charDevice\00666\0\(ids)\01,3\n" + "sda1\0blockDevice\00660\0\(ids)\08,1\n"
        #expect(try TreeDigester.digest(root: directory).digest == sha256(records))
        #expect(try TreeDigester.entries(root: directory).map(\.kind) == [.charDevice, .blockDevice])
    }

    @Test func missingRootIsReportedWithItsPath() throws {
        let error = try #require(throws: TreeError.self) {
            try TreeDigester.digest(root: "/nonexistent/vfleet-root")
        }
        #expect(error.description.hasPrefix("cannot digest tree /nonexistent/vfleet-root: "))
    }

    private func sha256(_ text: String) -> String {
        var hasher = SHA256Hasher()
        hasher.update(Array(text.utf8))
        return hasher.finalizeHex()
    }
}
