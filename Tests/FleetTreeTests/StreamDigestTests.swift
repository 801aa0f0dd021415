import FleetTestSupport
import FleetTree
import FleetTreeStream
import Foundation
import Glibc
import Testing

/// The digests a tree stream records as it goes (a move's pre-copy), so that
/// the verification after the stop reads nothing again: every recorded digest
/// must be the file's real one, recorded with the file's status as it stays
/// (or the cache would never be used), and a digest taken through the cache
/// must equal one taken without it, also after a delta changed the tree.
@Suite(.tags(.unit)) struct StreamDigestTests {
    /// One saved cache line: "device inode size mtime mtimeNs ctime ctimeNs digest path".
    struct SavedEntry {
        var inode: UInt64
        var size: Int64
        var ctime: Int64
        var ctimeNs: Int64
        var digest: String
    }

    static func saved(_ cache: DigestCache, in directory: String) throws -> [[UInt8]: SavedEntry] {
        let file = directory + "/saved-cache"
        try cache.save(file)
        defer { unlink(file) }
        var entries: [[UInt8]: SavedEntry] = [:]
        for line in try #require(FileManager.default.contents(atPath: file)).split(separator: 10) {
            let fields = line.split(separator: 32, maxSplits: 8, omittingEmptySubsequences: false)
            try #require(fields.count == 9)
            let number = { (i: Int) in Int64(String(decoding: fields[i], as: UTF8.self))! }
            // Paths with a newline are saved escaped; these trees' tests skip them.
            entries[Array(fields[8])] = SavedEntry(inode: UInt64(bitPattern: number(1)), size: number(2), ctime: number(5),
                                                   ctimeNs: number(6), digest: String(decoding: fields[7], as: UTF8.self))
        }
        return entries
    }

    /// Each entry is the file's digest now, with its status now (which makes
    /// it usable). `stale` names may have an older status: a later hard link
    /// changed their inode's ctime, so the cache hashes them again.
    static func expectTrue(_ entries: [[UInt8]: SavedEntry], under root: String, stale: Set<String> = [],
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
        // Escaped (a newline) and non-UTF-8 names are left out: this check
        // names files by String.
        for (path, entry) in entries where !path.contains(92) {
            guard let name = String(bytes: path, encoding: .utf8) else { continue }
            let full = root + "/" + name
            let status = try TestDirectory.lstatus(full)
            #expect(entry.digest == (try SHA256Hasher.hexDigest(ofFileAt: full)), "digest of \(full)", sourceLocation: sourceLocation)
            #expect(entry.inode == UInt64(status.st_ino) && entry.size == Int64(status.st_size), "identity of \(full)", sourceLocation: sourceLocation)
            guard !stale.contains(name) else { continue }
            #expect(entry.ctime == Int64(status.st_ctim.tv_sec) && entry.ctimeNs == Int64(status.st_ctim.tv_nsec),
                    "ctime of \(full)", sourceLocation: sourceLocation)
        }
    }

    static func tree(_ directory: String) throws -> String {
        let source = directory + "/source"
        try TestDirectory.makeDirectory(source)
        try StreamFixture.makeSourceTree(at: source)
        return source
    }

    @Test func theSenderRecordsTheDigestOfEveryFileItSendsHolesIncluded() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let source = try Self.tree(directory)
        // Hashed "well after" the files were written: all may be trusted.
        var digests: DigestCache? = DigestCache(hashedAt: Date().timeIntervalSince1970 + 5)
        var sink = MemorySink()
        _ = try TreeStreamWriter.write(root: source, to: &sink, since: nil, digests: &digests)
        let entries = try Self.saved(try #require(digests), in: directory)
        // Every regular file, once per inode (a hard link's other names are not read again).
        let expected = ["empty", "random.bin", "bin/su", "bin/ping", "private/secret", "readonly/file", "opaque/inside",
                        "sparse.img", "home/owned", "caf\u{e9}", "cafe\u{301}", "new\nline"]
        for name in expected where !name.contains("\n") {
            #expect(entries[Array(name.utf8)] != nil, "no digest recorded for \(name)")
        }
        #expect(entries.count == expected.count + 2)  // the invalid UTF-8 name, and one name of the linked inode
        try Self.expectTrue(entries, under: source)
        // The sparse file's digest counts its 100 MB of holes as zeros.
        #expect(entries[Array("sparse.img".utf8)]?.digest == (try SHA256Hasher.hexDigest(ofFileAt: source + "/sparse.img")))
        var cache = digests
        #expect(try TreeDigester.digest(root: source, cache: &cache) == TreeDigester.digest(root: source))
    }

    @Test func theSenderDoesNotTrustFilesChangedJustBeforeTheStream() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let source = try Self.tree(directory)
        try TestDirectory.writeFile(source + "/fresh", "written just now\n")
        // The stream "began" just after the first file was written, not
        // "now": on a loaded machine making the tree outlasts the window.
        let began = try TestDirectory.earliestFileChange(under: source) + DigestCache.racyWindow / 2
        var digests: DigestCache? = DigestCache(hashedAt: began)
        var sink = MemorySink()
        _ = try TreeStreamWriter.write(root: source, to: &sink, since: nil, digests: &digests)
        // Every file's ctime is within the racy window of the stream's start.
        #expect(digests?.count == 0)
    }

    @Test func theReceiverRecordsWhatItWroteAndADeltaLeavesNoStaleDigest() throws {
        let directory = try StreamTestDirectory.make()
        defer { TestDirectory.remove(directory) }
        let source = try Self.tree(directory)
        let destination = directory + "/destination"
        try TestDirectory.makeDirectory(destination)

        var digests: DigestCache? = DigestCache()
        var sink = MemorySink()
        _ = try TreeStreamWriter.write(root: source, to: &sink, since: nil)
        var input = MemorySource(sink.bytes, maximumRead: 65_521)
        _ = try TreeStreamReader.apply(from: &input, into: destination, digests: &digests)
        let entries = try Self.saved(try #require(digests), in: directory)
        // Every name written as a file, and the names linked to one: bin/c
        // comes first, links/a and links/b are linked to it.
        #expect(entries.count == 16)
        for name in ["bin/c", "links/a", "links/b", "sparse.img", "random.bin"] {
            #expect(entries[Array(name.utf8)] != nil, "no digest recorded for \(name)")
        }
        // Linking links/b changed the inode's ctime after links/a was recorded.
        try Self.expectTrue(entries, under: destination, stale: ["links/a"])
        var cache = digests
        #expect(try TreeDigester.digest(root: destination, cache: &cache) == TreeDigester.digest(root: source))

        // Changed with the same size, removed, replaced by a directory, newly
        // linked: after the delta a digest through the cache still equals
        // the source's.
        try StreamFixture.writeAt(source + "/random.bin", offset: 4096, try StreamFixture.randomBytes(4096))
        try StreamFixture.setTime(source + "/random.bin", seconds: 1_700_000_000, nanoseconds: 5)
        #expect(unlink(source + "/bin/su") == 0)
        #expect(unlink(source + "/empty") == 0)
        try TestDirectory.makeDirectory(source + "/empty")
        try TestDirectory.hardLink(source + "/links/d", to: source + "/links/a")
        let receiver = try TreeManifest.build(root: destination)
        var delta = MemorySink()
        _ = try TreeStreamWriter.write(root: source, to: &delta, since: receiver)
        var deltaInput = MemorySource(delta.bytes)
        _ = try TreeStreamReader.apply(from: &deltaInput, into: destination, digests: &digests)
        try StreamFixture.expectSameTrees(source, destination)
        var after = digests
        #expect(try TreeDigester.digest(root: destination, cache: &after) == TreeDigester.digest(root: source))
        let afterDelta = try Self.saved(try #require(digests), in: directory)
        #expect(afterDelta[Array("random.bin".utf8)]?.digest == (try SHA256Hasher.hexDigest(ofFileAt: destination + "/random.bin")))
        // Entries of names the delta removed or made directories stay until the
        // next digest drops them; a digest never trusts them (no such file).
        try Self.expectTrue(afterDelta.filter { entry in
            (try? TestDirectory.lstatus(destination + "/" + String(decoding: entry.key, as: UTF8.self)))
                .map { $0.st_mode & S_IFMT == S_IFREG } ?? false
        }, under: destination, stale: ["links/a", "links/b"])
    }
}
