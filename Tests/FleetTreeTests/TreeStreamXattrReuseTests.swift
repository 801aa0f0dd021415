import FleetTestSupport
@testable import FleetTree
@testable import FleetTreeStream
import Foundation
import Glibc
import Testing

/// A move's delta reuses its pre-copy's xattr digests (XattrReuse): the
/// full stream keeps every entry's digest (single-name files' from what it
/// sent) with the entry's inode and ctime, and the delta's scan, while the
/// guest is stopped, reads attributes only of entries changed since.
@Suite(.tags(.unit)) struct TreeStreamXattrReuseTests {
    static func tree() throws -> (directory: String, source: String) {
        let directory = try StreamTestDirectory.make()
        let source = directory + "/source"
        try TestDirectory.makeDirectory(source, mode: 0o755)
        try TestDirectory.makeDirectory(source + "/d", mode: 0o755)
        for name in ["a", "b", "d/c"] { try Data(name.utf8).write(to: URL(fileURLWithPath: source + "/" + name)) }
        try TestXattr.set(source + "/a", "user.note", "one")
        try TestXattr.set(source + "/d", "user.note", "dir")
        usleep(300_000)  // every ctime older than the racy window
        return (directory, source)
    }

    static func fullStream(_ source: String) throws -> (bytes: [UInt8], scanned: [TreeManifestEntry], reusable: XattrReuse?) {
        var sink = MemorySink()
        var digests: DigestCache?
        var scanned: [TreeManifestEntry] = []
        var reusable: XattrReuse?
        _ = try TreeStreamWriter.write(root: source, to: &sink, since: nil, digests: &digests, scanned: &scanned, reuse: nil, reusable: &reusable)
        return (sink.bytes, scanned, reusable)
    }

    static func delta(_ source: String, since: [TreeManifestEntry], reuse: XattrReuse?) throws -> (bytes: [UInt8], stats: TreeStreamStats) {
        var sink = MemorySink()
        var digests: DigestCache?
        var scanned: [TreeManifestEntry] = []
        var reusable: XattrReuse?
        let stats = try TreeStreamWriter.write(root: source, to: &sink, since: since, digests: &digests, scanned: &scanned,
                                               reuse: reuse, reusable: &reusable)
        return (sink.bytes, stats)
    }

    static func status(_ path: String) throws -> stat {
        var st = stat()
        guard lstat(path, &st) == 0 else { throw TestFailure("lstat \(path): \(String(cString: strerror(errno)))") }
        return st
    }

    @Test func aFullStreamKeepsEveryEntrysDigestWithItsInodeAndCtime() throws {
        let (directory, source) = try Self.tree()
        defer { TestDirectory.remove(directory) }
        let full = try Self.fullStream(source)
        let reusable = try #require(full.reusable)
        #expect(reusable.count == full.scanned.count)
        // Each is the digest the receiver got, files' included (read from
        // the descriptor they were sent from, not by the scan).
        for entry in full.scanned {
            let path = entry.path.isEmpty ? source : source + "/" + entry.path
            #expect(reusable.digest(for: Array(entry.path.utf8), status: try Self.status(path)) == .some(entry.xattrDigest), "\(entry.path)")
        }
        #expect(full.scanned.first { $0.path == "a" }?.xattrDigest != nil)
    }

    @Test func aDeltaSendsOnlyEntriesWhoseAttributesChangedSinceThePrecopy() throws {
        let (directory, source) = try Self.tree()
        defer { TestDirectory.remove(directory) }
        let destination = directory + "/destination"
        try TestDirectory.makeDirectory(destination, mode: 0o755)
        let full = try Self.fullStream(source)
        var input = MemorySource(full.bytes)
        _ = try TreeStreamReader.apply(from: &input, into: destination)

        // Unchanged: nothing to send.
        #expect(try Self.delta(source, since: full.scanned, reuse: full.reusable).stats.entries == 0)
        // Attributes changed on a file, a directory, and one added.
        try TestXattr.set(source + "/a", "user.note", "two")
        try TestXattr.set(source + "/d", "user.note", "DIR")
        try TestXattr.set(source + "/b", "user.new", "x")
        let delta = try Self.delta(source, since: full.scanned, reuse: full.reusable)
        #expect(delta.stats.entries == 3, "a changed attribute was taken from the pre-copy's scan")
        var deltaInput = MemorySource(delta.bytes)
        _ = try TreeStreamReader.apply(from: &deltaInput, into: destination)
        #expect(try TreeManifest.build(root: destination).map(\.xattrDigest) == TreeManifest.build(root: source).map(\.xattrDigest))
    }

    /// The delta's scan takes an unchanged entry's digest from `reuse`
    /// without reading: a digest no read could give, planted in the earlier
    /// scan and in the receiver's manifest, makes the entry look unchanged.
    @Test func aDeltasScanTakesAnUnchangedEntrysDigestFromThePrecopy() throws {
        let (directory, source) = try Self.tree()
        defer { TestDirectory.remove(directory) }
        let full = try Self.fullStream(source)
        try TestXattr.set(source + "/b", "user.new", "x")
        usleep(300_000)
        // An earlier scan that "saw" b's new attribute under a made-up digest.
        let started = XattrReuse.now()
        let fd = open(source, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(fd) }
        var nodes = try TreeScanner.scan(root: fd, includeXattrDigests: true)
        let b = try #require(nodes.firstIndex { $0.path == Array("b".utf8) })
        nodes[b].xattrDigest = "planted"
        var manifest = full.scanned
        let m = try #require(manifest.firstIndex { $0.path == "b" })
        manifest[m].xattrDigest = "planted"
        manifest[m].mtimeSeconds = Int64(nodes[b].modified.tv_sec)
        manifest[m].mtimeNanoseconds = Int32(nodes[b].modified.tv_nsec)
        #expect(try Self.delta(source, since: manifest, reuse: XattrReuse(nodes: nodes, scanStarted: started)).stats.entries == 0)
        // Without it, the scan reads b's attributes and sends b.
        #expect(try Self.delta(source, since: manifest, reuse: nil).stats.entries == 1)
    }
}
