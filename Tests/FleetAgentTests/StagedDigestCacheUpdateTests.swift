import FleetAgent
import FleetTestSupport
import FleetTree
import Foundation
import Glibc
import Testing

/// A receiver's digest cache is made beside the sync and written after it:
/// the file must not change before ``StagedDigestCacheUpdate/finish()``
/// (a crash in between would leave a cache vouching for data the disk
/// never got), and must hold the merge after.
@Suite(.tags(.unit)) struct StagedDigestCacheUpdateTests {
    static func status(of path: String) throws -> stat {
        var st = stat()
        guard lstat(path, &st) == 0 else { throw FixtureError("lstat \(path): errno \(errno)") }
        return st
    }

    @Test func theFileIsReplacedOnlyByFinishWithTheMerge() throws {
        let directory = try TemporaryDirectory(prefix: "vfleet-cache-update")
        defer { directory.remove() }
        let root = directory.path
        for name in ["a", "b", "c"] { try Data(name.utf8).write(to: URL(fileURLWithPath: root + "/" + name)) }
        let file = root + "/digest-cache"
        var old = DigestCache()
        old.recordWritten(Array("a".utf8), status: try Self.status(of: root + "/a"), digest: String(repeating: "1", count: 64))
        old.recordWritten(Array("b".utf8), status: try Self.status(of: root + "/b"), digest: String(repeating: "2", count: 64))
        try old.save(file)
        let before = try Data(contentsOf: URL(fileURLWithPath: file))

        var written = DigestCache()
        written.recordWritten(Array("b".utf8), status: try Self.status(of: root + "/b"), digest: String(repeating: "3", count: 64))
        written.recordWritten(Array("c".utf8), status: try Self.status(of: root + "/c"), digest: String(repeating: "4", count: 64))
        let update = StagedDigestCacheUpdate(file: file, adding: written)
        // Time enough for the thread to have made the text, and the file is
        // still the old one.
        usleep(300_000)
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == before)

        #expect(update.finish() == 3)
        let after = DigestCache.load(file)
        #expect(after.count == 3)
        #expect(after.digest(for: Array("a".utf8), status: try Self.status(of: root + "/a")) == String(repeating: "1", count: 64))
        #expect(after.digest(for: Array("b".utf8), status: try Self.status(of: root + "/b")) == String(repeating: "3", count: 64))
        #expect(after.digest(for: Array("c".utf8), status: try Self.status(of: root + "/c")) == String(repeating: "4", count: 64))
    }

    @Test func aMissingCacheFileBecomesTheStreamsDigests() throws {
        let directory = try TemporaryDirectory(prefix: "vfleet-cache-update")
        defer { directory.remove() }
        let root = directory.path
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/x"))
        var written = DigestCache()
        written.recordWritten(Array("x".utf8), status: try Self.status(of: root + "/x"), digest: String(repeating: "5", count: 64))
        let update = StagedDigestCacheUpdate(file: root + "/digest-cache", adding: written)
        #expect(update.finish() == 1)
        #expect(DigestCache.load(root + "/digest-cache").digest(for: Array("x".utf8), status: try Self.status(of: root + "/x")) == String(repeating: "5", count: 64))
    }
}
