import FleetArchive
import FleetTestSupport
import FleetTree
import Foundation
import Testing

@Suite(.tags(.root)) struct TarImporterTests {
    /// The sample tree plus owners and times that must survive a round trip.
    private func makeSource(at source: String) throws {
        try TestDirectory.makeDirectory(source)
        try TreeDigesterTests.makeSampleTree(at: source)
        try TestDirectory.makeDirectory(source + "/srv", mode: 0o2750)
        try TestDirectory.writeFile(source + "/srv/data", Array(repeating: 0x5a, count: 70_000), mode: 0o640)
        if Shell.isRoot {
            try TestDirectory.chown(source + "/srv", uid: 1000, gid: 1001)
            try TestDirectory.chown(source + "/srv/data", uid: 1000, gid: 1001)
            try TestDirectory.chown(source + "/bin/sh", uid: 5, gid: 6)
            // chown clears setgid; restore it.
            _ = chmod(source + "/srv", 0o2750)
        }
        _ = try Shell.run("touch -h -d '2002-03-04 05:06:07' '\(source)/srv' '\(source)/srv/data' '\(source)/bin/sh'")
    }

    @Test(arguments: ["", "gzip", "xz", "zstd", "bzip2"])
    func archiveRoundTripsWithTheSourceDigest(compressor: String) throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let source = directory + "/source"
        try makeSource(at: source)
        let archive = directory + "/template.tar"
        let compress = compressor.isEmpty ? "" : " | \(compressor) -c"
        try Shell.run("tar --numeric-owner -C '\(source)' -cf - .\(compress) > '\(archive)'")
        let destination = directory + "/out"
        try TestDirectory.makeDirectory(destination)

        let summary = try TarImporter.extract(archive: archive, into: destination)

        #expect(try TreeDigester.digest(root: destination) == TreeDigester.digest(root: source))
        #expect(summary.entries == 13)
        #expect(summary.bytes == 70_000 + 10 + 6 + 26 + 3)
        let su = try TestDirectory.lstatus(destination + "/bin/su")
        #expect(try su.st_ino == TestDirectory.lstatus(destination + "/bin/login").st_ino)
        #expect(su.st_mode & 0o7777 == 0o4755)
        for path in ["/srv", "/srv/data", "/bin/sh"] {
            #expect(try TestDirectory.lstatus(destination + path).st_mtim.tv_sec
                == TestDirectory.lstatus(source + path).st_mtim.tv_sec, "mtime of \(path)")
        }
        #expect(try TestDirectory.lstatus(destination + "/srv").st_mode & 0o7777 == 0o2750)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: destination + "/etc/mtab") == "/proc/self/mounts")
    }

    @Test(arguments: ["gnu", "pax", "ustar"])
    func longNamesRoundTripInEachFormat(format: String) throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let source = directory + "/source"
        try TestDirectory.makeDirectory(source)
        // 60 + 1 + 60 + 1 + 50 = 172 bytes: over the 100-byte name field, and
        // splittable at a "/" so ustar can use its 155-byte prefix field.
        let dirA = String(repeating: "a", count: 60)
        let dirB = String(repeating: "b", count: 60)
        let file = String(repeating: "f", count: 50)
        try TestDirectory.makeDirectory("\(source)/\(dirA)")
        try TestDirectory.makeDirectory("\(source)/\(dirA)/\(dirB)")
        try TestDirectory.writeFile("\(source)/\(dirA)/\(dirB)/\(file)", "deep\n")
        if format != "ustar" {
            // ustar cannot store a link target over 100 bytes at all.
            try TestDirectory.symlink("\(source)/link", to: "\(dirA)/\(dirB)/\(file)")
        }
        let archive = directory + "/long.tar"
        try Shell.run("tar --numeric-owner --format=\(format) -C '\(source)' -cf '\(archive)' .")
        let destination = directory + "/out"
        try TestDirectory.makeDirectory(destination)

        _ = try TarImporter.extract(archive: archive, into: destination)

        #expect(try TreeDigester.digest(root: destination) == TreeDigester.digest(root: source))
    }

    @Test func handWrittenGNULongNameAndPaxPathAreHonoured() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let longName = String(repeating: "n", count: 150)
        let paxName = String(repeating: "p", count: 200)
        var writer = TestTarWriter()
        writer.appendGNULongName(longName)
        writer.append(name: String(longName.prefix(100)), content: Array("gnu\n".utf8))
        writer.appendPax([("path", paxName), ("uid", "4321"), ("mtime", "1600000000.25")])
        writer.append(name: "short-name-ignored", content: Array("pax\n".utf8))
        writer.appendPax([("linkpath", longName)])
        writer.append(name: "link", type: "2", linkName: "ignored")
        let archive = directory + "/names.tar"
        try writer.write(to: archive)
        let destination = directory + "/out"
        try TestDirectory.makeDirectory(destination)

        let summary = try TarImporter.extract(archive: archive, into: destination)

        #expect(summary.entries == 3)
        #expect(try String(contentsOfFile: "\(destination)/\(longName)", encoding: .utf8) == "gnu\n")
        #expect(try String(contentsOfFile: "\(destination)/\(paxName)", encoding: .utf8) == "pax\n")
        #expect(!FileManager.default.fileExists(atPath: destination + "/short-name-ignored"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: destination + "/link") == longName)
        let paxStatus = try TestDirectory.lstatus("\(destination)/\(paxName)")
        #expect(paxStatus.st_mtim.tv_sec == 1_600_000_000)
        #expect(paxStatus.st_mtim.tv_nsec == 250_000_000)
        if Shell.isRoot { #expect(paxStatus.st_uid == 4321) }
    }

    @Test(.enabled(if: Shell.isRoot)) func base256OwnersAndPaxGlobalDefaultsApply() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        var writer = TestTarWriter()
        // 3,000,000,000 does not fit the 7 octal digits of a uid field.
        writer.append(name: "big", uid: 3_000_000_000, gid: 2_500_000_000, idEncoding: .base256)
        writer.appendPax([("gid", "77")], global: true)
        writer.append(name: "global", gid: 5)
        let archive = directory + "/ids.tar"
        try writer.write(to: archive)
        let destination = directory + "/out"
        try TestDirectory.makeDirectory(destination)

        _ = try TarImporter.extract(archive: archive, into: destination)

        let big = try TestDirectory.lstatus(destination + "/big")
        #expect(big.st_uid == 3_000_000_000)
        #expect(big.st_gid == 2_500_000_000)
        #expect(try TestDirectory.lstatus(destination + "/global").st_gid == 77)
    }

    @Test func laterMembersReplaceEarlierFilesAndImplicitDirectoriesAreCreated() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        var writer = TestTarWriter()
        writer.append(name: "./", type: "5", mode: 0o700)
        writer.append(name: "a/b/file", content: Array("old".utf8))
        writer.append(name: "a/b/file", content: Array("new".utf8))
        writer.append(name: "a/b/", type: "5", mode: 0o555)
        writer.append(name: "a/b/", type: "5", mode: 0o511)
        let archive = directory + "/replace.tar"
        try writer.write(to: archive)
        let destination = directory + "/out"
        try TestDirectory.makeDirectory(destination)

        _ = try TarImporter.extract(archive: archive, into: destination)

        #expect(try String(contentsOfFile: destination + "/a/b/file", encoding: .utf8) == "new")
        #expect(try TestDirectory.lstatus(destination + "/a").st_mode & 0o7777 == 0o755)
        #expect(try TestDirectory.lstatus(destination + "/a/b").st_mode & 0o7777 == 0o511)
        // "." sets nothing: the destination keeps the mode the caller gave it.
        #expect(try TestDirectory.lstatus(destination).st_mode & 0o7777 == 0o755)
    }

    @Test func nonEmptyDestinationIsRefusedAndLeftAlone() throws {
        let directory = try TestDirectory.make()
        defer { TestDirectory.remove(directory) }
        var writer = TestTarWriter()
        writer.append(name: "file")
        let archive = directory + "/a.tar"
        try writer.write(to: archive)
        let destination = directory + "/out"
        try TestDirectory.makeDirectory(destination)
        try TestDirectory.writeFile(destination + "/keep", "keep")

        let error = try #require(throws: TreeError.self) {
            try TarImporter.extract(archive: archive, into: destination)
        }
        #expect(error.description.contains("is not empty"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: destination) == ["keep"])
    }
}
