import FleetTestSupport
import FleetTree
import FleetTreeStream
import Foundation
import Glibc
import Testing

/// Builds tree streams record by record, including ones the writer would
/// never produce (format documented in Sources/FleetTree/TreeStreamFormat.swift).
struct CraftedStream {
    var bytes: [UInt8] = Array("VFTS1".utf8)
    var entries = 0
    var deletions = 0
    var dataBytes: UInt64 = 0

    mutating func integer<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    mutating func bytes32(_ value: [UInt8]) {
        integer(UInt32(value.count))
        bytes += value
    }

    mutating func header(
        _ kind: Character, _ path: [UInt8], mode: UInt32 = 0o644, uid: UInt32 = 0, gid: UInt32 = 0,
        xattrs: [(String, [UInt8])] = []
    ) {
        bytes.append(kind.asciiValue!)
        bytes32(path)
        integer(mode)
        integer(uid)
        integer(gid)
        integer(Int64(1_700_000_000))
        integer(UInt32(5))
        integer(UInt32(xattrs.count))
        for (name, value) in xattrs {
            integer(UInt16(name.utf8.count))
            bytes += Array(name.utf8)
            bytes32(value)
        }
    }

    mutating func file(_ path: String, _ content: String = "data\n", mode: UInt32 = 0o644) {
        file(Array(path.utf8), Array(content.utf8), mode: mode)
    }

    mutating func file(_ path: [UInt8], _ content: [UInt8], mode: UInt32 = 0o644, xattrs: [(String, [UInt8])] = []) {
        header("F", path, mode: mode, xattrs: xattrs)
        integer(UInt64(content.count))
        if !content.isEmpty {
            integer(UInt32(content.count))
            integer(UInt64(0))
            bytes += content
        }
        integer(UInt32(0))
        entries += 1
        dataBytes += UInt64(content.count)
    }

    mutating func directory(_ path: String, mode: UInt32 = 0o755) {
        header("D", Array(path.utf8), mode: mode)
        entries += 1
    }

    mutating func symlink(_ path: String, to target: String) {
        header("L", Array(path.utf8), mode: 0o777)
        bytes32(Array(target.utf8))
        entries += 1
    }

    mutating func hardLink(_ path: String, to target: String) {
        bytes.append(UInt8(ascii: "H"))
        bytes32(Array(path.utf8))
        bytes32(Array(target.utf8))
        entries += 1
    }

    mutating func device(_ kind: Character, _ path: String, major: UInt32, minor: UInt32) {
        header(kind, Array(path.utf8), mode: 0o666)
        integer(major)
        integer(minor)
        entries += 1
    }

    mutating func fifo(_ path: String, mode: UInt32 = 0o644) {
        header("P", Array(path.utf8), mode: mode)
        entries += 1
    }

    mutating func delete(_ path: String) {
        bytes.append(UInt8(ascii: "X"))
        bytes32(Array(path.utf8))
        deletions += 1
    }

    mutating func end() {
        bytes.append(UInt8(ascii: "E"))
        integer(UInt64(entries))
        integer(UInt64(deletions))
        integer(dataBytes)
    }
}

/// Every stream here breaks a receiver rule. Each must be refused with a
/// message naming the offending path, and nothing may appear outside the root:
/// by the default applier, by a staging area's (new names in place), and by
/// a staging area's with writer threads making its files.
@Suite(.tags(.unit)) struct TreeStreamRefusalTests {
    /// `build` gets the path of a marker directory outside the root (standing
    /// in for /etc) holding a file "secret".
    private func expectRefusal(
        naming path: String?,
        mentioning phrase: String,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ build: (inout CraftedStream, _ outside: String) -> Void
    ) throws {
        for (inPlace, writers) in [(false, 0), (true, 0), (true, 3)] {
            try expectRefusal(
                naming: path, mentioning: phrase, inPlace: inPlace, writers: writers, sourceLocation: sourceLocation, build)
        }
    }

    private func expectRefusal(
        naming path: String?,
        mentioning phrase: String,
        inPlace: Bool,
        writers: Int,
        sourceLocation: SourceLocation,
        _ build: (inout CraftedStream, _ outside: String) -> Void
    ) throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let root = directory + "/root"
        let outside = directory + "/outside"
        try TestDirectory.makeDirectory(root)
        try TestDirectory.makeDirectory(outside)
        try TestDirectory.writeFile(outside + "/secret", "secret\n")
        let before = try Shell.run("cd '\(directory)' && find . -path ./root -prune -o -print | sort && md5sum outside/secret")

        var stream = CraftedStream()
        stream.directory("usr")
        stream.file("usr/ok", "fine\n")
        build(&stream, outside)
        stream.end()
        var source = MemorySource(stream.bytes)
        let error = try #require(throws: TreeError.self, sourceLocation: sourceLocation) {
            var digests: DigestCache? = DigestCache()
            return try TreeStreamReader.apply(
                from: &source, into: root, digests: &digests, newNamesInPlace: inPlace, writerThreads: writers)
        }
        #expect(error.description.hasPrefix("cannot apply tree stream into \(root): "), sourceLocation: sourceLocation)
        if let path {
            #expect(error.description.contains("\"\(path)\""), "message: \(error)", sourceLocation: sourceLocation)
        }
        #expect(error.description.contains(phrase), "message: \(error)", sourceLocation: sourceLocation)
        let after = try Shell.run("cd '\(directory)' && find . -path ./root -prune -o -print | sort && md5sum outside/secret")
        #expect(after == before, "something changed outside the root", sourceLocation: sourceLocation)
        // No temporary names are left behind inside the root either.
        let leftovers = try Shell.run("find '\(root)' -name '.vfts-*'")
        #expect(leftovers.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func dotDotPathsAreRefused() throws {
        try expectRefusal(naming: "../x", mentioning: "has a \"..\" component") { stream, _ in stream.file("../x") }
        try expectRefusal(naming: "a/../../x", mentioning: "has a \"..\" component") { stream, _ in
            stream.directory("a")
            stream.file("a/../../x")
        }
        try expectRefusal(naming: "usr/..", mentioning: "has a \"..\" component") { stream, _ in stream.directory("usr/..") }
    }

    @Test func absolutePathsAreRefused() throws {
        try expectRefusal(naming: "/etc/x", mentioning: "is absolute") { stream, _ in stream.file("/etc/x") }
        try expectRefusal(naming: nil, mentioning: "is absolute") { stream, outside in stream.file(outside + "/x") }
    }

    @Test func emptyDotAndNulComponentsAreRefused() throws {
        try expectRefusal(naming: "", mentioning: "is empty") { stream, _ in stream.file("") }
        try expectRefusal(naming: "usr//x", mentioning: "has an empty component") { stream, _ in stream.file("usr//x") }
        try expectRefusal(naming: "usr/", mentioning: "has an empty component") { stream, _ in stream.directory("usr/") }
        try expectRefusal(naming: "./x", mentioning: "has a \".\" component") { stream, _ in stream.file("./x") }
        try expectRefusal(naming: nil, mentioning: "contains a NUL byte") { stream, _ in
            stream.file(Array("usr/x".utf8) + [0] + Array("y".utf8), Array("z".utf8))
        }
        try expectRefusal(naming: nil, mentioning: "at most 4096") { stream, _ in
            stream.file(String(repeating: "a/", count: 2100) + "x")
        }
    }

    @Test func combiningCharacterDoesNotHideASeparator() throws {
        // "/" followed by U+0338 is one Character in Swift ("/\u{338}"), but
        // the kernel still splits at the byte "/": ".." is a component here.
        try expectRefusal(naming: "../\u{338}x", mentioning: "has a \"..\" component") { stream, _ in
            stream.file("../\u{338}x")
        }
        try expectRefusal(naming: "usr/../\u{338}../x", mentioning: "has a \"..\" component") { stream, _ in
            stream.file("usr/../\u{338}../x")
        }
    }

    @Test func writingThroughASymlinkIsRefused() throws {
        try expectRefusal(naming: "a/passwd", mentioning: "goes through the symlink \"a\"") { stream, outside in
            stream.symlink("a", to: outside)
            stream.file("a/passwd", "root::0:0::/:/bin/sh\n")
        }
        try expectRefusal(naming: "a/sub", mentioning: "goes through the symlink \"a\"") { stream, outside in
            stream.symlink("a", to: outside)
            stream.directory("a/sub")
            stream.file("a/sub/file")
        }
        try expectRefusal(naming: "a/fifo", mentioning: "goes through the symlink \"a\"") { stream, outside in
            stream.symlink("a", to: outside)
            stream.fifo("a/fifo")
        }
        try expectRefusal(naming: "a/link", mentioning: "goes through the symlink \"a\"") { stream, outside in
            stream.symlink("a", to: outside)
            stream.symlink("a/link", to: "/anything")
        }
        try expectRefusal(naming: "a/secret", mentioning: "goes through the symlink \"a\"") { stream, outside in
            stream.symlink("a", to: outside)
            stream.delete("a/secret")
        }
        try expectRefusal(naming: "usr/ok/x", mentioning: "needs \"usr/ok\" to be a directory") { stream, _ in
            stream.file("usr/ok/x")
        }
    }

    @Test func deviceNodesOtherThanWhiteoutsAreRefused() throws {
        try expectRefusal(naming: "dev/sda", mentioning: "device nodes other than overlay whiteouts are refused") {
            stream, _ in
            stream.directory("dev")
            stream.device("B", "dev/sda", major: 8, minor: 0)
        }
        try expectRefusal(naming: "null", mentioning: "is a character device 1:3; device nodes other than overlay whiteouts are refused") {
            stream, _ in
            stream.device("C", "null", major: 1, minor: 3)
        }
        try expectRefusal(naming: "zero-major", mentioning: "device nodes other than overlay whiteouts are refused") {
            stream, _ in
            stream.device("C", "zero-major", major: 0, minor: 5)
        }
    }

    @Test func hardLinksMustNameRegularFilesInsideTheRoot() throws {
        try expectRefusal(naming: "../outside/secret", mentioning: "has a \"..\" component") { stream, _ in
            stream.hardLink("l", to: "../outside/secret")
        }
        try expectRefusal(naming: nil, mentioning: "is absolute") { stream, outside in
            stream.hardLink("l", to: outside + "/secret")
        }
        try expectRefusal(naming: "a/secret", mentioning: "goes through the symlink \"a\"") { stream, outside in
            stream.symlink("a", to: outside)
            stream.hardLink("l", to: "a/secret")
        }
        try expectRefusal(naming: "l", mentioning: "not a regular file") { stream, _ in
            stream.symlink("s", to: "usr/ok")
            stream.hardLink("l", to: "s")
        }
        try expectRefusal(naming: "l", mentioning: "not a regular file") { stream, _ in stream.hardLink("l", to: "usr") }
        try expectRefusal(naming: "l", mentioning: "does not exist") { stream, _ in stream.hardLink("l", to: "nope") }
        try expectRefusal(naming: "usr/ok", mentioning: "points to itself") { stream, _ in
            stream.hardLink("usr/ok", to: "usr/ok")
        }
    }

    @Test func deleteMayNotLeaveTheRoot() throws {
        try expectRefusal(naming: "../outside", mentioning: "has a \"..\" component") { stream, _ in
            stream.delete("../outside")
        }
        try expectRefusal(naming: nil, mentioning: "is absolute") { stream, outside in stream.delete(outside) }
    }

    @Test func lengthsAreBounded() throws {
        try expectRefusal(naming: "big", mentioning: "at most 65536") { stream, _ in
            stream.file(Array("big".utf8), [], xattrs: [("user.big", [UInt8](repeating: 1, count: 65537))])
        }
        try expectRefusal(naming: "link", mentioning: "at most 4096") { stream, _ in
            stream.symlink("link", to: String(repeating: "x", count: 4097))
        }
        try expectRefusal(naming: "f", mentioning: "outside its size") { stream, _ in
            stream.header("F", Array("f".utf8))
            stream.integer(UInt64(10))
            stream.integer(UInt32(8))
            stream.integer(UInt64(4))  // 4 + 8 > 10
            stream.bytes += [UInt8](repeating: 0, count: 8)
            stream.integer(UInt32(0))
        }
    }

    @Test func tooManyXattrsAreRefused() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        var stream = CraftedStream()
        stream.bytes.append(UInt8(ascii: "F"))
        stream.bytes32(Array("many".utf8))
        for value: UInt32 in [0o644, 0, 0] { stream.integer(value) }
        stream.integer(Int64(0))
        stream.integer(UInt32(0))
        stream.integer(UInt32(10_001))
        var source = MemorySource(stream.bytes)
        let error = try #require(throws: TreeError.self) { try TreeStreamReader.apply(from: &source, into: directory) }
        #expect(error.description.contains("\"many\" has 10001 extended attributes"), "\(error)")
        #expect(try TestDirectory.isEmpty(directory))
    }

    @Test func truncatedAndCorruptStreamsAreErrors() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        var stream = CraftedStream()
        stream.directory("d")
        stream.file("d/f", String(repeating: "x", count: 1000))
        stream.end()
        let whole = stream.bytes

        var index = 0
        for cut in [0, 3, 5, 6, 20, whole.count / 2, whole.count - 30, whole.count - 1] {
            index += 1
            let root = directory + "/cut\(index)"
            try TestDirectory.makeDirectory(root)
            var source = MemorySource(Array(whole[0..<cut]), maximumRead: 7)
            let error = try #require(throws: TreeError.self, "cut at \(cut)") {
                try TreeStreamReader.apply(from: &source, into: root)
            }
            let expected = cut == 0 ? "empty" : cut < 5 ? "not a vfleet tree stream" : "cut off"
            #expect(error.description.contains(expected), "cut at \(cut): \(error)")
            #expect(try Shell.run("find '\(root)' -name '.vfts-*'").isEmpty, "temporary file left after cut at \(cut)")
        }

        var wrongCount = CraftedStream()
        wrongCount.file("f")
        wrongCount.bytes.append(UInt8(ascii: "E"))
        wrongCount.integer(UInt64(2))
        wrongCount.integer(UInt64(0))
        wrongCount.integer(UInt64(5))
        var source = MemorySource(wrongCount.bytes)
        try TestDirectory.makeDirectory(directory + "/count")
        let countError = try #require(throws: TreeError.self) { try TreeStreamReader.apply(from: &source, into: directory + "/count") }
        #expect(countError.description.contains("end record counts 2 entries"), "\(countError)")

        var unknown = CraftedStream()
        unknown.bytes.append(0x5a)
        var unknownSource = MemorySource(unknown.bytes)
        try TestDirectory.makeDirectory(directory + "/unknown")
        let unknownError = try #require(throws: TreeError.self) {
            try TreeStreamReader.apply(from: &unknownSource, into: directory + "/unknown")
        }
        #expect(unknownError.description.contains("unknown record kind 0x5a"), "\(unknownError)")
    }

    @Test func craftedValidStreamApplies() throws {
        // The builder itself is sound: a valid stream with every record kind applies.
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try TestDirectory.makeDirectory(directory + "/old")
        try TestDirectory.writeFile(directory + "/old/file", "old\n")
        var stream = CraftedStream()
        stream.delete("old")
        stream.delete("never/existed")
        stream.directory("d", mode: 0o750)
        stream.file("d/f", "hello\n", mode: 0o600)
        stream.hardLink("d/g", to: "d/f")
        stream.symlink("s", to: "/etc/passwd")
        stream.device("C", "whiteout", major: 0, minor: 0)
        stream.fifo("fifo", mode: 0o640)
        stream.end()
        var source = MemorySource(stream.bytes, maximumRead: 5)

        let stats = try TreeStreamReader.apply(from: &source, into: directory)

        #expect(stats == TreeStreamStats(entries: 6, fileBytes: 6, deleted: 2))
        #expect(try String(contentsOfFile: directory + "/d/g", encoding: .utf8) == "hello\n")
        #expect(try TestDirectory.lstatus(directory + "/d/g").st_ino == TestDirectory.lstatus(directory + "/d/f").st_ino)
        #expect(try TestDirectory.lstatus(directory + "/d").st_mode & 0o7777 == 0o750)
        #expect(try TestDirectory.lstatus(directory + "/fifo").st_mode & S_IFMT == S_IFIFO)
        #expect(!FileManager.default.fileExists(atPath: directory + "/old"))
        #expect(try TestDirectory.lstatus(directory + "/d").st_mtim.tv_sec == 1_700_000_000)
    }
}
