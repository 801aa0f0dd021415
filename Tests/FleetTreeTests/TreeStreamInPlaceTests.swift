import FleetTestSupport
import FleetTree
import FleetTreeStream
import Foundation
import Glibc
import Testing

/// `newNamesInPlace` (a move's staging area): new names are written under
/// their own name, existing ones are still replaced by rename, and the
/// result is the same tree as the default applier makes, with or without
/// writer threads (each test runs with none and with three).
@Suite(.tags(.root)) struct TreeStreamInPlaceTests {
    /// Streams `source` into `destination` in place, recording digests; returns the digests recorded.
    @discardableResult
    static func transferInPlace(
        from source: String, to destination: String, since: [TreeManifestEntry]? = nil, writers: Int = 0,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> DigestCache {
        var sink = MemorySink()
        let sent = try TreeStreamWriter.write(root: source, to: &sink, since: since)
        var input = MemorySource(sink.bytes, maximumRead: 65_521)
        var digests: DigestCache? = DigestCache()
        let applied = try TreeStreamReader.apply(
            from: &input, into: destination, digests: &digests, newNamesInPlace: true, writerThreads: writers)
        #expect(applied == sent, sourceLocation: sourceLocation)
        return try #require(digests, sourceLocation: sourceLocation)
    }

    /// A test directory with the fixture's source tree and an empty destination.
    static func sourceAndDestination() throws -> (directory: String, source: String, destination: String) {
        let directory = try StreamTestDirectory.make()
        let (source, destination) = (directory + "/source", directory + "/destination")
        do {
            try TestDirectory.makeDirectory(source)
            try TestDirectory.makeDirectory(destination)
            try StreamFixture.makeSourceTree(at: source)
        } catch {
            TestDirectory.remove(directory)
            throw error
        }
        return (directory, source, destination)
    }

    static func leftoverTemporaries(_ root: String) throws -> [String] {
        try Shell.run("find '\(root)' -name '.vfts-*'").split(separator: "\n").map(String.init)
    }

    @Test(arguments: [0, 3]) func aFullStreamInPlaceReproducesEverything(writers: Int) throws {
        let (directory, source, destination) = try Self.sourceAndDestination()
        defer { TestDirectory.remove(directory) }

        try Self.transferInPlace(from: source, to: destination, writers: writers)

        try StreamFixture.expectSameTrees(source, destination)
        let a = try TestDirectory.lstatus(destination + "/links/a")
        #expect(try TestDirectory.lstatus(destination + "/links/b").st_ino == a.st_ino)
        #expect(a.st_nlink == 3)
        let whiteout = try TestDirectory.lstatus(destination + "/removed")
        #expect(whiteout.st_mode & S_IFMT == S_IFCHR && whiteout.st_rdev == 0)
        #expect(TestXattr.get(destination + "/bin/ping", "security.capability") == StreamFixture.netRawCapability)
        #expect(try Self.leftoverTemporaries(destination).isEmpty)
    }

    /// The digests recorded for files built in place carry their final
    /// status (taken after the time was set): a digest of the tree with that
    /// cache reads no file again and equals a full one.
    @Test(arguments: [0, 3]) func digestsRecordedInPlaceAreTrustedByTheNextDigest(writers: Int) throws {
        let (directory, source, destination) = try Self.sourceAndDestination()
        defer { TestDirectory.remove(directory) }
        // Two names of an inode, not three: each link changes the inode's
        // ctime, and the applier records it again only for the target and
        // the new name (a third name's entry goes stale; with or without
        // in-place names, so not what this test is about).
        #expect(unlink(source + "/links/b") == 0)

        let recorded = try Self.transferInPlace(from: source, to: destination, writers: writers)

        // As the agent does: saved after the stream, loaded for the digest.
        let file = directory + "/digest-cache"
        try recorded.save(file)
        var cache: DigestCache? = DigestCache.load(file)
        let withCache = try TreeDigester.digest(root: destination, cache: &cache)
        #expect(withCache == (try TreeDigester.digest(root: destination)))
        #expect(cache?.changed == false, "a file's recorded status was not its final one, so it was hashed again")
    }

    @Test(arguments: [0, 3]) func aDeltaInPlaceBringsAChangedTreeUpToDate(writers: Int) throws {
        let (directory, source, destination) = try Self.sourceAndDestination()
        defer { TestDirectory.remove(directory) }
        try Self.transferInPlace(from: source, to: destination, writers: writers)

        // A changed file, a new one, a file replaced by a directory, a removed one.
        try TestDirectory.writeFile(source + "/home/owned", "changed content\n")
        try TestDirectory.writeFile(source + "/home/new", "new\n")
        #expect(unlink(source + "/bin/c") == 0)
        try TestDirectory.makeDirectory(source + "/bin/c")
        try TestDirectory.writeFile(source + "/bin/c/inside", "inside\n")
        #expect(unlink(source + "/private/secret") == 0)
        try Self.transferInPlace(from: source, to: destination, since: TreeManifest.build(root: destination), writers: writers)

        try StreamFixture.expectSameTrees(source, destination)
        #expect(try Self.leftoverTemporaries(destination).isEmpty)
    }

    /// The safety check of in-place creation (`O_EXCL`, else a temporary and
    /// a rename): a receiver file sharing its inode with a file outside the
    /// root must not let the stream change that file.
    @Test(arguments: [0, 3]) func anExistingNameIsReplacedNeverWrittenInPlace(writers: Int) throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try TestDirectory.makeDirectory(directory + "/outside")
        try TestDirectory.writeFile(directory + "/outside/precious", "precious\n", mode: 0o600)
        try TestDirectory.makeDirectory(directory + "/root")
        try TestDirectory.hardLink(directory + "/root/f", to: directory + "/outside/precious")
        try TestDirectory.symlink(directory + "/root/l", to: "../outside/precious")
        var stream = CraftedStream()
        stream.file("f", "replaced\n", mode: 0o4777)
        stream.file("l", "no longer a symlink\n")
        stream.end()
        var source = MemorySource(stream.bytes)
        var none: DigestCache?

        _ = try TreeStreamReader.apply(
            from: &source, into: directory + "/root", digests: &none, newNamesInPlace: true, writerThreads: writers)

        #expect(try String(contentsOfFile: directory + "/root/f", encoding: .utf8) == "replaced\n")
        #expect(try String(contentsOfFile: directory + "/root/l", encoding: .utf8) == "no longer a symlink\n")
        #expect(try TestDirectory.lstatus(directory + "/root/l").st_mode & S_IFMT == S_IFREG)
        #expect(try String(contentsOfFile: directory + "/outside/precious", encoding: .utf8) == "precious\n")
        let outside = try TestDirectory.lstatus(directory + "/outside/precious")
        #expect(outside.st_mode & 0o7777 == 0o600 && outside.st_nlink == 1)
    }

    /// A stream cut off in the middle of a file built in place leaves no
    /// part of that file under its name.
    @Test(arguments: [0, 3]) func aStreamCutOffMidFileLeavesNoPartialFile(writers: Int) throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        try TestDirectory.makeDirectory(directory + "/root")
        var stream = CraftedStream()
        stream.file("whole", "complete\n")
        stream.file("cut", String(repeating: "x", count: 10_000))
        stream.end()
        // Up to the middle of the second file's data.
        var source = MemorySource(Array(stream.bytes[0..<(stream.bytes.count - 5_000)]))
        var none: DigestCache?

        #expect(throws: (any Error).self) {
            _ = try TreeStreamReader.apply(
                from: &source, into: directory + "/root", digests: &none, newNamesInPlace: true, writerThreads: writers)
        }

        #expect(try String(contentsOfFile: directory + "/root/whole", encoding: .utf8) == "complete\n")
        #expect(access(directory + "/root/cut", F_OK) != 0, "a partial file was left under its real name")
        #expect(try Self.leftoverTemporaries(directory + "/root").isEmpty)
    }

    /// A full stream's scan takes single-name files' xattr digests from
    /// what it sent, not from the scan: it must still list the tree exactly
    /// as TreeManifest.build does (the fixture has files with attributes,
    /// hard links, a whiteout, a FIFO, symlinks).
    @Test func aFullStreamsScanWithAttributesFromTheSendMatchesTheManifest() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let source = directory + "/source"
        try TestDirectory.makeDirectory(source)
        try StreamFixture.makeSourceTree(at: source)
        try TestXattr.set(source + "/private/secret", "user.tag", "one attribute")
        var sink = MemorySink()
        var digests: DigestCache?
        var scanned: [TreeManifestEntry] = []

        _ = try TreeStreamWriter.write(root: source, to: &sink, since: nil, digests: &digests, scanned: &scanned)

        #expect(scanned == (try TreeManifest.build(root: source)))
        #expect(scanned.first { $0.path == "private/secret" }?.xattrDigest != nil)
    }
}
