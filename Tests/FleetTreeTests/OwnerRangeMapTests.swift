import FleetTestSupport
import FleetTree
import FleetTreeStream
import Foundation
import Glibc
import Testing

/// The map from a source guest's id range to its destination's, and the
/// stream applied with it: owners move as they are written, and the staged
/// tree's digest with the ids put back is the source's, exactly.
@Suite struct OwnerRangeMapTests {
    let map = OwnerRangeMap(sourceBase: 100 << 16, targetBase: 101 << 16, contextId: 101)

    @Test func idsOfTheSourceRangeMoveAndComeBack() {
        let (s, t): (UInt32, UInt32) = (100 << 16, 101 << 16)
        #expect(map.mapped(s + 1000) == t + 1000)
        #expect(map.mapped(0) == nil)
        #expect(map.mapped((102 << 16) + 5) == nil)
        #expect(map.original((101 << 16) + 1000) == (100 << 16) + 1000)
        #expect(map.original(33) == 33)
        #expect(map.original((102 << 16) + 5) == (102 << 16) + 5)
    }

    /// The copy moves every id of the source range, so one found staged
    /// means the tree is not what was sent: it must not digest as the source.
    @Test func anIdOfTheSourceRangeFoundStagedNamesNoSourceId() {
        #expect(map.original((100 << 16) + 1000) == OwnerRangeMap.noId)
        let same = OwnerRangeMap(sourceBase: 100 << 16, targetBase: 100 << 16, contextId: 100)
        #expect(same.original((100 << 16) + 7) == (100 << 16) + 7)
        #expect(!same.isAmbiguous((100 << 16) + 7))
    }

    @Test func onlyAnIdOfTheTargetRangeFromElsewhereIsAmbiguous() {
        #expect(map.isAmbiguous((101 << 16) + 3))
        #expect(!map.isAmbiguous((100 << 16) + 3))
        #expect(!map.isAmbiguous(0))
    }
}

@Suite(.tags(.root)) struct StreamOwnerMapping {
    static let source: UInt32 = 100 << 16, target: UInt32 = 101 << 16

    func owner(_ path: String) -> (UInt32, UInt32) {
        var st = stat()
        _ = lstat(path, &st)
        return (st.st_uid, st.st_gid)
    }

    /// A tree as a user namespace guest (range 100) leaves it, plus `extra`.
    func makeSource(_ dir: String) throws {
        let s = Self.source
        try TestDirectory.makeDirectory(dir + "/d")
        try TestDirectory.writeFile(dir + "/d/f", "data", mode: 0o644)
        try TestDirectory.writeFile(dir + "/d/suid", "x", mode: 0o4755)
        try TestDirectory.writeFile(dir + "/d/acl", "x")
        try TestDirectory.writeFile(dir + "/d/cap", "x", mode: 0o755)
        #expect(symlink("f", dir + "/d/link") == 0)
        for (path, uid, gid) in [("/d", s, s), ("/d/f", s + 1000, s + 1000), ("/d/suid", s, s + 5), ("/d/acl", s, s), ("/d/cap", s, s)] {
            #expect(lchown(dir + path, uid, gid) == 0)
        }
        #expect(lchown(dir + "/d/link", s + 1000, s + 1000) == 0)
        #expect(chmod(dir + "/d/suid", 0o4755) == 0)
        try TestXattr.set(dir + "/d/acl", "system.posix_acl_access",
                          OwnershipShift.acl([(0x01, 6, UInt32.max), (0x02, 4, s + 1000), (0x04, 4, UInt32.max), (0x10, 6, UInt32.max), (0x20, 4, UInt32.max)]))
        try TestXattr.set(dir + "/d/cap", "security.capability", OwnershipShift.capabilityV3(permitted: 1 << 13, rootid: s))
    }

    func apply(_ src: String, into dst: String, _ mapper: StreamOwnerMapper) throws {
        var sink = MemorySink()
        _ = try TreeStreamWriter.write(root: src, to: &sink)
        var input = MemorySource(sink.bytes)
        var none: DigestCache?
        _ = try TreeStreamReader.apply(from: &input, into: dst, digests: &none, owners: mapper)
    }

    @Test func ownersMoveAsTheyAreWrittenAndTheDigestWithIdsPutBackIsTheSources() throws {
        let (src, dst) = (try TestDirectory.make(), try TestDirectory.make())
        defer { TestDirectory.remove(src); TestDirectory.remove(dst) }
        try makeSource(src)
        var learnedTimes = 0
        let mapper = StreamOwnerMapper(targetBase: Self.target, contextId: 101) { _ in learnedTimes += 1 }
        try apply(src, into: dst, mapper)

        let t = Self.target
        #expect(learnedTimes == 1)
        #expect(mapper.current == OwnerRangeMap(sourceBase: Self.source, targetBase: t, contextId: 101, exact: true))
        #expect(owner(dst + "/d") == (t, t))
        #expect(owner(dst + "/d/f") == (t + 1000, t + 1000))
        #expect(owner(dst + "/d/suid") == (t, t + 5))
        #expect(owner(dst + "/d/link") == (t + 1000, t + 1000))
        var st = stat()
        #expect(lstat(dst + "/d/suid", &st) == 0 && st.st_mode & 0o7777 == 0o4755)
        #expect(TestXattr.get(dst + "/d/acl", "system.posix_acl_access")
                == OwnershipShift.acl([(0x01, 6, UInt32.max), (0x02, 4, t + 1000), (0x04, 4, UInt32.max), (0x10, 6, UInt32.max), (0x20, 4, UInt32.max)]))
        #expect(TestXattr.get(dst + "/d/cap", "security.capability") == OwnershipShift.capabilityV3(permitted: 1 << 13, rootid: t))

        let map = try #require(mapper.current)
        var none: DigestCache?
        #expect(try TreeDigester.digest(root: dst, cache: &none, owners: map) == TreeDigester.digest(root: src))
        #expect(try TreeDigester.digest(root: dst) != TreeDigester.digest(root: src))

        // A staged owner changed after the copy, to another id of the target
        // range or back to the source's: the digest no longer matches.
        #expect(lchown(dst + "/d/f", t + 5, t + 1000) == 0)
        #expect(try TreeDigester.digest(root: dst, cache: &none, owners: map) != TreeDigester.digest(root: src))
        #expect(lchown(dst + "/d/f", Self.source + 1000, Self.source + 1000) == 0)
        #expect(try TreeDigester.digest(root: dst, cache: &none, owners: map) != TreeDigester.digest(root: src))
    }

    @Test func anOwnerOutsideTheSourceRangeStaysAndTheMapIsNotExact() throws {
        let (src, dst) = (try TestDirectory.make(), try TestDirectory.make())
        defer { TestDirectory.remove(src); TestDirectory.remove(dst) }
        try makeSource(src)
        try TestDirectory.writeFile(src + "/d/host-owned", "x")
        #expect(lchown(src + "/d/host-owned", 0, 0) == 0)
        let mapper = StreamOwnerMapper(targetBase: Self.target, contextId: 101) { _ in }
        try apply(src, into: dst, mapper)
        #expect(mapper.current?.exact == false)
        #expect(owner(dst + "/d/host-owned") == (0, 0))
        #expect(owner(dst + "/d/f") == (Self.target + 1000, Self.target + 1000))
        var none: DigestCache?
        #expect(try TreeDigester.digest(root: dst, cache: &none, owners: try #require(mapper.current)) == TreeDigester.digest(root: src))
    }

    /// A layer of the host's own ids (a guest without a user namespace):
    /// nothing moves, not even the ids its ACLs and capabilities name.
    @Test func aLayerOfHostIdsKeepsItsOwnersAndItsAttributes() throws {
        let (src, dst) = (try TestDirectory.make(), try TestDirectory.make())
        defer { TestDirectory.remove(src); TestDirectory.remove(dst) }
        try TestDirectory.writeFile(src + "/acl", "x")
        try TestDirectory.writeFile(src + "/cap", "x", mode: 0o755)
        #expect(lchown(src + "/acl", 1000, 1000) == 0)
        let acl = OwnershipShift.acl([(0x01, 6, UInt32.max), (0x02, 4, 1000), (0x04, 4, UInt32.max), (0x10, 6, UInt32.max), (0x20, 4, UInt32.max)])
        let cap = OwnershipShift.capabilityV3(permitted: 1 << 13, rootid: 0)
        try TestXattr.set(src + "/acl", "system.posix_acl_access", acl)
        try TestXattr.set(src + "/cap", "security.capability", cap)
        let mapper = StreamOwnerMapper(targetBase: Self.target, contextId: 101) { _ in Issue.record("a range was learned from host ids") }
        try apply(src, into: dst, mapper)
        #expect(mapper.current == nil)
        #expect(owner(dst + "/acl") == (1000, 1000))
        // (The kernel keeps a capability for the initial namespace's root as version 2.)
        #expect(TestXattr.get(dst + "/acl", "system.posix_acl_access") == TestXattr.get(src + "/acl", "system.posix_acl_access"))
        #expect(TestXattr.get(dst + "/cap", "security.capability") == TestXattr.get(src + "/cap", "security.capability"))
        #expect(TestXattr.get(dst + "/cap", "security.capability") != nil)
        #expect(try TreeDigester.digest(root: dst) == TreeDigester.digest(root: src))
    }

    @Test func anOwnerInTheTargetRangeFromElsewhereStopsTheStream() throws {
        let (src, dst) = (try TestDirectory.make(), try TestDirectory.make())
        defer { TestDirectory.remove(src); TestDirectory.remove(dst) }
        try makeSource(src)
        #expect(lchown(src + "/d/f", Self.target + 3, Self.source) == 0)
        let mapper = StreamOwnerMapper(targetBase: Self.target, contextId: 101) { _ in }
        let error = #expect(throws: TreeError.self) { try apply(src, into: dst, mapper) }
        #expect(error?.description.contains("host id \(Self.target + 3)") == true)
        #expect(error?.description.contains("context id 101") == true)
    }
}
