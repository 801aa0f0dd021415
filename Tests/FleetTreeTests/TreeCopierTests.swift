import FleetTestSupport
import FleetTree
import Foundation
import Testing

@Suite(.tags(.root)) struct TreeCopierTests {
    @Test func copyHasTheSameDigestAndKeepsLinksTimesAndModes() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let source = directory + "/source"
        try TestDirectory.makeDirectory(source)
        try TreeDigesterTests.makeSampleTree(at: source)
        if Shell.isRoot {
            try TestDirectory.chown(source + "/etc", uid: 0, gid: 42)
            try TestDirectory.chown(source + "/etc/passwd", uid: 1000, gid: 1000)
            try TestDirectory.chown(source + "/bin/sh", uid: 7, gid: 8)
        }
        _ = try Shell.run("touch -h -d '2001-02-03 04:05:06' '\(source)/etc' '\(source)/etc/passwd' '\(source)/bin/sh'")
        let copy = directory + "/copy"

        try TreeCopier.copy(from: source, to: copy)

        #expect(try TreeDigester.digest(root: copy) == TreeDigester.digest(root: source))
        let su = try TestDirectory.lstatus(copy + "/bin/su")
        let login = try TestDirectory.lstatus(copy + "/bin/login")
        #expect(su.st_ino == login.st_ino, "hard link was duplicated instead of linked")
        #expect(su.st_mode & 0o7777 == 0o4755)
        for path in ["/etc", "/etc/passwd", "/bin/sh"] {
            #expect(try TestDirectory.lstatus(copy + path).st_mtim.tv_sec == TestDirectory.lstatus(source + path).st_mtim.tv_sec)
        }
        #expect(try TestDirectory.lstatus(copy + "/tmp").st_mode & 0o7777 == 0o1777)
    }

    @Test func symlinksAreCopiedAsLinksNotFollowed() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try TestDirectory.makeDirectory(directory + "/outside")
        try TestDirectory.writeFile(directory + "/outside/secret", "secret")
        try TestDirectory.makeDirectory(directory + "/source")
        try TestDirectory.symlink(directory + "/source/escape", to: directory + "/outside")

        try TreeCopier.copy(from: directory + "/source", to: directory + "/copy")

        let status = try TestDirectory.lstatus(directory + "/copy/escape")
        #expect(status.st_mode & S_IFMT == S_IFLNK)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: directory + "/copy/escape") == directory + "/outside")
    }

    @Test func largeFileContentIsCopiedExactly() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try TestDirectory.makeDirectory(directory + "/source")
        let bytes = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 131) }
        try TestDirectory.writeFile(directory + "/source/blob", bytes)

        try TreeCopier.copy(from: directory + "/source", to: directory + "/copy")

        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/copy/blob")) == Data(bytes))
    }

    @Test func existingDestinationIsRefusedAndLeftAlone() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try TestDirectory.makeDirectory(directory + "/source")
        try TestDirectory.makeDirectory(directory + "/copy")
        try TestDirectory.writeFile(directory + "/copy/keep", "keep")

        let error = try #require(throws: TreeError.self) {
            try TreeCopier.copy(from: directory + "/source", to: directory + "/copy")
        }
        #expect(error.description.contains("already exists"))
        #expect(FileManager.default.fileExists(atPath: directory + "/copy/keep"))
    }

    @Test func missingSourceIsReportedAndCreatesNothing() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }

        let error = try #require(throws: TreeError.self) {
            try TreeCopier.copy(from: directory + "/missing", to: directory + "/copy")
        }
        #expect(error.description.contains(directory + "/missing"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/copy"))
    }

    @Test func destinationInsideTheSourceIsRefusedAndRemoved() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try TestDirectory.makeDirectory(directory + "/source")
        try TestDirectory.writeFile(directory + "/source/a", "a")

        let error = try #require(throws: TreeError.self) {
            try TreeCopier.copy(from: directory + "/source", to: directory + "/source/copy")
        }
        #expect(error.description.contains("the destination is inside the source"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/source") == ["a"])
    }
}
