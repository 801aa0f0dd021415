import FleetTestSupport
import FleetTree
import FleetTreeStream
import Foundation
import Glibc
import Testing

/// Writer threads (`writerThreads`, a move's staging area): the tree, the
/// digests and the failures are those of the applier without them, for
/// trees of many files and for streams a sender would never make.
@Suite(.tags(.root)) struct TreeStreamWritersTests {
    /// Applies `stream` into a new directory `name` under `directory` with
    /// `writers` threads; returns the root and the digests recorded.
    static func apply(
        _ stream: [UInt8], in directory: String, name: String, writers: Int
    ) throws -> (root: String, digests: DigestCache) {
        let root = directory + "/" + name
        try TestDirectory.makeDirectory(root)
        var source = MemorySource(stream, maximumRead: 65_521)
        var digests: DigestCache? = DigestCache()
        _ = try TreeStreamReader.apply(
            from: &source, into: root, digests: &digests, newNamesInPlace: true, writerThreads: writers)
        return (root, try #require(digests))
    }

    /// Regular files of `root`, relative.
    static func files(under root: String) throws -> [String] {
        try TreeManifest.build(root: root).filter { $0.kind == .file }.map(\.path)
    }

    @Test func manyFilesInManyDirectoriesArriveAsWithoutWriters() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let source = directory + "/source"
        try TestDirectory.makeDirectory(source)
        for d in 0..<30 {
            let sub = source + "/d\(d)"
            try TestDirectory.makeDirectory(sub, mode: d % 3 == 0 ? 0o750 : 0o755)
            for f in 0..<150 {
                let path = sub + "/f\(f)"
                try TestDirectory.writeFile(path, String(repeating: "\(d)-\(f) ", count: f % 7 + 1), mode: f % 5 == 0 ? 0o600 : 0o644)
                if f % 11 == 0 { try TestDirectory.chown(path, uid: 1000 + UInt32(d), gid: 2000) }
                if f % 13 == 0 { try TestXattr.set(path, "user.n", "\(d)/\(f)") }
            }
        }
        try TestDirectory.writeFile(source + "/d0/empty", [])
        // A hole at the end (a truncate), small enough for a writer; and a file too large for one.
        try StreamFixture.makeSparseFile(source + "/d1/sparse", size: 512 << 10, blocksAt: [0])
        try TestDirectory.writeFile(source + "/d2/large", try StreamFixture.randomBytes(3 << 20))
        try TestDirectory.makeDirectory(source + "/d3/nested")
        try TestDirectory.writeFile(source + "/d3/nested/deep", "deep\n")
        var sink = MemorySink()
        _ = try TreeStreamWriter.write(root: source, to: &sink)

        let alone = try Self.apply(sink.bytes, in: directory, name: "alone", writers: 0)
        let threaded = try Self.apply(sink.bytes, in: directory, name: "threaded", writers: 3)

        try StreamFixture.expectSameTrees(source, alone.root)
        try StreamFixture.expectSameTrees(source, threaded.root)
        let files = try Self.files(under: source)
        #expect(files.count == 30 * 150 + 4)
        #expect(threaded.digests.count == alone.digests.count)
        for path in files {
            let bytes = Array(path.utf8)
            let byAlone = alone.digests.digest(for: bytes, status: try TestDirectory.lstatus(alone.root + "/" + path))
            let byThreads = threaded.digests.digest(for: bytes, status: try TestDirectory.lstatus(threaded.root + "/" + path))
            #expect(byAlone != nil && byThreads == byAlone, "digest of \(path)")
        }
    }

    /// Records a sender never makes: a name sent twice, a directory then a
    /// file of its name, a symlink over a directory whose files are still
    /// queued, hard links to files just queued. Each ends as without writers.
    @Test func namesSentAgainEndAsWithoutWriters() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        var stream = CraftedStream()
        // Each name twice in a row: both records would be in the queue at once.
        for n in 0..<300 {
            stream.file("a\(n)", "first \(n)\n")
            stream.file("a\(n)", "second \(n)\n")
        }
        for n in 0..<100 {
            stream.file("t\(n)", "target \(n)\n")
            stream.hardLink("t\(n)h", to: "t\(n)")
        }
        stream.directory("d")
        for n in 0..<200 { stream.file("d/x\(n)", "inside \(n)\n") }
        stream.file("d", "a file now\n")
        stream.directory("e")
        for n in 0..<200 { stream.file("e/y\(n)", "inside \(n)\n") }
        stream.symlink("e", to: "elsewhere")
        stream.end()

        let alone = try Self.apply(stream.bytes, in: directory, name: "alone", writers: 0)
        let threaded = try Self.apply(stream.bytes, in: directory, name: "threaded", writers: 3)

        try StreamFixture.expectSameTrees(alone.root, threaded.root)
        for n in 0..<300 {
            #expect(try String(contentsOfFile: threaded.root + "/a\(n)", encoding: .utf8) == "second \(n)\n")
        }
        for n in 0..<100 {
            #expect(try TestDirectory.lstatus(threaded.root + "/t\(n)h").st_ino == TestDirectory.lstatus(threaded.root + "/t\(n)").st_ino)
        }
        #expect(try String(contentsOfFile: threaded.root + "/d", encoding: .utf8) == "a file now\n")
        #expect(try TestDirectory.lstatus(threaded.root + "/e").st_mode & S_IFMT == S_IFLNK)
        #expect(try TreeStreamInPlaceTests.leftoverTemporaries(threaded.root).isEmpty)
    }

    /// A file a writer cannot make (an attribute of no namespace the kernel
    /// knows) fails the stream with its name, and is not left under it.
    @Test func aWritersFailureFailsTheStreamAndLeavesNoPartialFile() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        var stream = CraftedStream()
        stream.directory("d")
        for n in 0..<300 { stream.file("d/before\(n)", "ok\n") }
        stream.file(Array("d/bad".utf8), Array("bad\n".utf8), xattrs: [("bogus.attribute", Array("x".utf8))])
        for n in 0..<300 { stream.file("d/later\(n)", "ok\n") }
        stream.end()

        var failure: (any Error)?
        do {
            _ = try Self.apply(stream.bytes, in: directory, name: "root", writers: 3)
        } catch {
            failure = error
        }

        let message = "\(try #require(failure, "the stream was applied"))"
        #expect(message.contains("d/bad"), "\(message)")
        #expect(access(directory + "/root/d/bad", F_OK) != 0, "the failed file was left under its name")
        #expect(try TreeStreamInPlaceTests.leftoverTemporaries(directory + "/root").isEmpty)
    }
}
