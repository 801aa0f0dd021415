import FleetTestSupport
@testable import FleetTree
import FleetTreeStream
import Foundation
import Glibc
import Testing

/// A replica's frozen delta digests the layer from the stream's own scan
/// (TreeDigester.entries(of:root:cache:) then digest(of:)) instead of a
/// second walk: it must give what TreeDigester.digest(root:) gives, and
/// never trust a cached content digest the file no longer has.
@Suite(.tags(.unit)) struct TreeDigesterScanTests {
    /// The stream's scan of `root` as a delta against `since` (a replica's frozen part).
    static func scan(_ root: String, since: [TreeManifestEntry]? = [], cache: inout DigestCache?) throws -> [ScannedNode] {
        var sink = MemorySink()
        var nodes: [ScannedNode] = []
        _ = try TreeStreamWriter.write(root: root, to: &sink, since: since, digests: &cache, nodes: &nodes)
        return nodes
    }

    static func digestFromScan(_ root: String, since: [TreeManifestEntry] = [], cache: inout DigestCache?) throws -> TreeDigest {
        let nodes = try scan(root, since: since, cache: &cache)
        return TreeDigester.digest(of: try TreeDigester.entries(of: nodes, root: root, cache: &cache))
    }

    @Test func theDigestFromTheScanEqualsAWalksForEveryKindOfEntry() throws {
        let root = try DigestCacheTests.tree()
        defer { TestDirectory.remove(root) }
        for directory in ["/deep", "/deep/er", "/deep/er/still"] { try TestDirectory.makeDirectory(root + directory) }
        try TestDirectory.writeFile(root + "/deep/er/still/file", "deep\n")
        try TestDirectory.writeFile(root + "/deep/back\\slash", "odd\n")
        try TestDirectory.writeFile(root + "/empty", [])
        try TestDirectory.symlink(root + "/deep/er/up", to: "../../etc/hostname")
        // A name that is not UTF-8 (0xff).
        let odd = Posix.withCString(Array((root + "/deep/caf").utf8) + [0xff]) { open($0, O_CREAT | O_WRONLY | O_EXCL, 0o644) }
        #expect(odd >= 0)
        close(odd)
        let full = try TreeDigester.digest(root: root)
        // No cache: every file read now.
        var none: DigestCache?
        #expect(try Self.digestFromScan(root, cache: &none) == full)
        // An empty cache that may keep what it reads: read and recorded.
        var cache: DigestCache? = DigestCache(hashedAt: Date().timeIntervalSince1970 + 5)
        #expect(try Self.digestFromScan(root, since: try TreeManifest.build(root: root), cache: &cache) == full)
        #expect(cache?.count == 30)  // 26 of DigestCacheTests.tree; deep/er/still/file, back\slash, empty, caf<0xff>
        // A warm cache: nothing read, the same digest.
        #expect(try Self.digestFromScan(root, since: try TreeManifest.build(root: root), cache: &cache) == full)
    }

    @Test func aFileRewrittenAfterTheRunningScanWithItsSizeAndMtimeKeptIsReadAgain() throws {
        let root = try DigestCacheTests.tree()
        defer { TestDirectory.remove(root) }
        // The running phase: streamed whole, every file's digest cached.
        var cache: DigestCache? = DigestCache(hashedAt: Date().timeIntervalSince1970 + 5)
        _ = try Self.scan(root, since: nil, cache: &cache)
        #expect(cache?.count == 25)  // every file name but bin/login, sent as a hard link to bin/su
        let before = try TreeDigester.digest(root: root)
        let standby = try TreeManifest.build(root: root)
        // Between the running phase and the freeze: same length, other bytes,
        // the old mtime put back. The delta does not see it (its manifest
        // fields match); only the ctime in the cache's identity does.
        try DigestCacheTests.rewriteKeepingSizeAndMtime(root + "/data/f3")
        let frozen = try Self.digestFromScan(root, since: standby, cache: &cache)
        let now = try TreeDigester.digest(root: root)
        #expect(now != before)
        #expect(frozen == now)
    }

    /// A scan given the cache (a move's delta, a replica's frozen one)
    /// looks every file up on its own threads: the digest vouched for, and
    /// none for a file whose identity changed since it was cached.
    @Test(arguments: [1, 4])
    func theScanLooksUpTheFilesTheCacheVouchesFor(threads: Int) throws {
        let root = try DigestCacheTests.tree()
        defer { TestDirectory.remove(root) }
        let cache = try #require(try DigestCacheTests.cached(root))
        try DigestCacheTests.rewriteKeepingSizeAndMtime(root + "/data/f3")
        let walked = Dictionary(uniqueKeysWithValues: try TreeDigester.entries(root: root).map { ($0.path, $0.contentDigest) })
        let fd = open(root, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        let nodes = try TreeScanner.scan(root: fd, includeXattrDigests: false, digests: cache, threads: threads)
        let files = nodes.filter { $0.kind == .file }
        #expect(files.count == 26)
        #expect(files.filter { $0.contentDigest != nil }.count == 25)
        for node in files {
            let path = Posix.display(node.path)
            if path == "data/f3" {
                #expect(node.contentDigest == nil, "a rewritten file was vouched for")
            } else {
                #expect(node.contentDigest == walked[path] ?? nil, "\(path)")
            }
        }
        // Without a cache, no lookups.
        #expect(try TreeScanner.scan(root: fd, includeXattrDigests: false).allSatisfy { $0.contentDigest == nil })
    }

    /// The digest's entries take the scan's lookup, and read only what it lacks.
    @Test func theDigestsEntriesTakeTheScansLookups() throws {
        let root = try DigestCacheTests.tree()
        defer { TestDirectory.remove(root) }
        let fd = open(root, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        var nodes = try TreeScanner.scan(root: fd, includeXattrDigests: false)
        let index = try #require(nodes.firstIndex { Posix.display($0.path) == "data/f5" })
        nodes[index].contentDigest = String(repeating: "ab", count: 32)
        var none: DigestCache?
        let entries = try TreeDigester.entries(of: nodes, root: root, cache: &none)
        #expect(entries[index].contentDigest == String(repeating: "ab", count: 32))
        let walked = try TreeDigester.entries(root: root)
        #expect(entries.filter { $0.kind == .file }.count == walked.filter { $0.kind == .file }.count)
        #expect(TreeDigester.digest(of: entries) != (try TreeDigester.digest(root: root)))
    }

    @Test func aFileReplacedBetweenTheScanAndItsReadingFailsTheDigest() throws {
        let root = try DigestCacheTests.tree()
        defer { TestDirectory.remove(root) }
        var none: DigestCache?
        let nodes = try Self.scan(root, cache: &none)
        // A tree that did not hold still: another inode under the same name.
        try TestDirectory.writeFile(root + "/data/f5.new", String(repeating: "x5", count: 1000))
        #expect(rename(root + "/data/f5.new", root + "/data/f5") == 0)
        #expect(throws: TreeError.self) { _ = try TreeDigester.entries(of: nodes, root: root, cache: &none) }
    }

    @Test func aFileResizedBetweenTheScanAndItsReadingFailsTheDigest() throws {
        let root = try DigestCacheTests.tree()
        defer { TestDirectory.remove(root) }
        var none: DigestCache?
        let nodes = try Self.scan(root, cache: &none)
        let file = open(root + "/data/f6", O_WRONLY | O_APPEND)
        #expect(file >= 0)
        #expect(write(file, "more", 4) == 4)
        close(file)
        #expect(throws: TreeError.self) { _ = try TreeDigester.entries(of: nodes, root: root, cache: &none) }
    }

    @Test func recordsAppendedToOneBufferAreTheRecordsOneByOne() throws {
        let entries = [
            ScannedEntry(path: Array("a\nb\\c".utf8), kind: .file, mode: 0o4755, uid: 0, gid: 4_294_967_295, size: 3,
                         contentDigest: String(repeating: "ab", count: 32)),
            ScannedEntry(path: [0x64, 0xff], kind: .symlink, mode: 0o777, uid: 1234, gid: 10, size: 0, linkTarget: Array("x\\y\nz".utf8)),
            ScannedEntry(path: Array("dev/null".utf8), kind: .charDevice, mode: 0o666, uid: 0, gid: 0, size: 0, device: (1, 3)),
            ScannedEntry(path: Array("d".utf8), kind: .directory, mode: 0, uid: 7, gid: 8, size: 0),
        ]
        var joined: [UInt8] = []
        for entry in entries { entry.appendCanonicalRecord(to: &joined) }
        #expect(joined == entries.flatMap(\.canonicalRecord))
        let expected = "a\\nb\\\\c\0file\04755\00\04294967295\0\(String(repeating: "ab", count: 32))\n"
            + "d\u{FFFD}\0symlink\00777\01234\010\0x\\\\y\\nz\n"
            + "dev/null\0charDevice\00666\00\00\01,3\n"
            + "d\0directory\00000\07\08\0\n"
        #expect(String(decoding: joined, as: UTF8.self) == expected)
    }
}
