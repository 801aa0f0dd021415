import FleetTestSupport
@testable import FleetTree
import Foundation
import Glibc
import Testing

/// A replica's frozen scan reuses the xattr digests its running scan read
/// (XattrReuse), only for entries whose inode and ctime are unchanged and
/// whose ctime was older than that scan by the racy window.
@Suite(.tags(.unit)) struct XattrReuseTests {
    static func tree() throws -> String {
        let root = try StreamTestDirectory.make()
        try TestDirectory.makeDirectory(root + "/d", mode: 0o755)
        for name in ["a", "b", "d/c"] { try Data(name.utf8).write(to: URL(fileURLWithPath: root + "/" + name)) }
        try TestXattr.set(root + "/a", "user.note", "one")
        try TestXattr.set(root + "/d", "user.note", "dir")
        return root
    }

    static func scan(_ root: String, reuse: XattrReuse? = nil) throws -> [String: String?] {
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(fd) }
        let nodes = try TreeScanner.scan(root: fd, includeXattrDigests: true, reuse: reuse)
        return Dictionary(uniqueKeysWithValues: nodes.map { (String(decoding: $0.path, as: UTF8.self), $0.xattrDigest) })
    }

    static func nodes(_ root: String) throws -> [ScannedNode] {
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(fd) }
        return try TreeScanner.scan(root: fd, includeXattrDigests: true)
    }

    @Test func anAttributeChangedSinceTheEarlierScanIsReadAgain() throws {
        let root = try Self.tree()
        defer { try? TreeRemover.remove(root) }
        usleep(300_000)  // every ctime older than the racy window
        let started = XattrReuse.now()
        let earlier = try Self.nodes(root)
        let reuse = XattrReuse(nodes: earlier, scanStarted: started)
        #expect(reuse.count == 4)
        // Nothing changed: the same digests.
        #expect(try Self.scan(root, reuse: reuse) == Self.scan(root))
        // Attributes changed on a file and a directory, one removed: read again.
        try TestXattr.set(root + "/a", "user.note", "two")
        try TestXattr.set(root + "/d", "user.note", "DIR")
        try TestXattr.set(root + "/b", "user.new", "x")
        let fresh = try Self.scan(root)
        let reused = try Self.scan(root, reuse: reuse)
        #expect(reused == fresh, "a changed attribute was taken from the earlier scan")
        #expect(fresh["a"] != earlier.first { $0.path == Array("a".utf8) }?.xattrDigest)
    }

    @Test func anUnchangedEntryTakesTheEarlierDigestWithoutReading() throws {
        let root = try Self.tree()
        defer { try? TreeRemover.remove(root) }
        usleep(300_000)
        let started = XattrReuse.now()
        // What the earlier scan "read" for b: a digest no read would give,
        // so that a scan that took it shows it did not read b's attributes.
        var earlier = try Self.nodes(root)
        let b = try #require(earlier.firstIndex { $0.path == Array("b".utf8) })
        earlier[b].xattrDigest = "taken-from-the-earlier-scan"
        let reused = try Self.scan(root, reuse: XattrReuse(nodes: earlier, scanStarted: started))
        #expect(reused["b"] == .some("taken-from-the-earlier-scan"))
    }

    @Test func anEntryChangedJustBeforeTheEarlierScanIsNotReused() throws {
        let root = try Self.tree()
        defer { try? TreeRemover.remove(root) }
        // a's ctime is within the racy window of the earlier scan's start: a
        // change right after that scan read it could leave the same ctime.
        let started = XattrReuse.now()
        let reuse = XattrReuse(nodes: try Self.nodes(root), scanStarted: started)
        #expect(reuse.count == 0)
        // A replaced file (another inode, same name) is not reused either.
        usleep(300_000)
        let later = XattrReuse.now()
        let old = try Self.nodes(root)
        try? FileManager.default.removeItem(atPath: root + "/b")
        try Data("b".utf8).write(to: URL(fileURLWithPath: root + "/b"))
        var faked = old
        let b = try #require(faked.firstIndex { $0.path == Array("b".utf8) })
        faked[b].xattrDigest = "stale"
        let reused = try Self.scan(root, reuse: XattrReuse(nodes: faked, scanStarted: later))
        #expect(reused["b"] == .some(nil), "the new b has no attributes")
    }
}
