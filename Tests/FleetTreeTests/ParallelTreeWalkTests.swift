import FleetTestSupport
@testable import FleetTree
import Foundation
import Glibc
import Testing

/// The digest's walk shares directories out to several threads: whatever
/// the number of threads, every entry is met once, the digest and the cache
/// are those of one thread, a failure stops every thread, and no directory
/// stays open.
@Suite(.tags(.unit)) struct ParallelTreeWalkTests {
    /// 300 directories side by side (more than wait for a thread at once),
    /// files in each, one chain 40 deep, and the sample tree's every kind.
    static func wideTree() throws -> String {
        let root = try TestDirectory.make()
        try TreeDigesterTests.makeSampleTree(at: root)
        for d in 0..<300 {
            let directory = root + "/wide/d\(d)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for f in 0..<(d % 7) { try TestDirectory.writeFile(directory + "/f\(f)", "\(d)-\(f)\n") }
        }
        var deep = root + "/deep"
        for level in 0..<40 {
            try TestDirectory.makeDirectory(deep)
            try TestDirectory.writeFile(deep + "/at\(level)", "\(level)\n")
            deep += "/x"
        }
        return root
    }

    /// The paths ``TreeWalker`` (one thread, depth first) meets, sorted.
    static func walkedByOneThread(_ root: String) throws -> [[UInt8]] {
        let fd = try Posix.openRoot(root)
        var paths: [[UInt8]] = []
        try TreeWalker.walk(root: fd.raw) { paths.append($0.path) }
        return paths.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// This process's descriptors open on `root` or below it (tests run
    /// side by side: only the walked tree's are this test's).
    static func openDescriptors(below root: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0) }
            .filter { $0 == root || $0.hasPrefix(root + "/") }
    }

    @Test(arguments: [1, 2, 4, 8])
    func everyEntryIsMetOnceAndTheDigestIsOneThreads(threads: Int) throws {
        let root = try Self.wideTree()
        defer { TestDirectory.remove(root) }
        let expected = try Self.walkedByOneThread(root)

        let fd = try Posix.openRoot(root)
        let states = try ParallelTreeWalk.walk(root: fd.raw, threads: threads, makeState: { [[UInt8]]() },
                                               visit: { state, walked in state.append(walked.path) })
        #expect(states.count == threads)
        let met = states.flatMap { $0 }.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(met.count == expected.count, "entries met more or less than once")
        #expect(met == expected)

        var none: DigestCache?
        let scanned = try TreeDigester.scan(root: root, operation: "test", cache: &none, tolerant: false, threads: threads)
        let oneThread = try TreeDigester.scan(root: root, operation: "test", cache: &none, tolerant: false, threads: 1)
        #expect(scanned.map(\.path) == expected, "the threads' sorted parts were not merged in order")
        #expect(TreeDigester.digest(of: scanned) == TreeDigester.digest(of: oneThread))
        _ = consume fd
        #expect(Self.openDescriptors(below: root) == [], "a directory was left open")
    }

    @Test func aFailureStopsTheWalkIsThrownAndLeavesNothingOpen() throws {
        let root = try Self.wideTree()
        defer { TestDirectory.remove(root) }
        struct Planted: Error {}
        let fd = try Posix.openRoot(root)
        var threw = false
        do {
            _ = try ParallelTreeWalk.walk(root: fd.raw, threads: 4, makeState: { 0 },
                                          visit: { count, walked in
                                              count += 1
                                              if walked.path == Array("wide/d150/f2".utf8) { throw Planted() }
                                          },
                                          finish: { _ in Issue.record("a failed walk's thread finished its state") })
        } catch is Planted {
            threw = true
        }
        #expect(threw, "the failure of one thread's visit was not thrown")
        _ = consume fd
        #expect(Self.openDescriptors(below: root) == [], "a directory was left open by the failed walk")
    }

    @Test(arguments: [2, 4])
    func theStreamsScanIsOneThreads(threads: Int) throws {
        let root = try Self.wideTree()
        defer { TestDirectory.remove(root) }
        try TestXattr.set(root + "/wide/d6", "user.note", "six")
        try TestXattr.set(root + "/wide/d6/f3", "user.note", "three")
        try UnixSocketFile.make(at: root + "/wide/d9/socket")
        let fd = try Posix.openRoot(root)
        let one = try TreeScanner.scan(root: fd.raw, includeXattrDigests: true, threads: 1).map(\.manifestEntry)
        let many = try TreeScanner.scan(root: fd.raw, includeXattrDigests: true, threads: threads).map(\.manifestEntry)
        #expect(many == one)
        #expect(one.count == (try Self.walkedByOneThread(root)).count - 1, "the socket was scanned")
        #expect(one.first { $0.path == "wide/d6" }?.xattrDigest != one.first { $0.path == "wide/d8" }?.xattrDigest)
    }

    /// A running guest's layer: what goes away while the scan looks is left
    /// out with what is below it, and the walk goes on.
    @Test func aVanishedEntryIsLeftOutWithItsContentWhenAsked() throws {
        let root = try Self.wideTree()
        defer { TestDirectory.remove(root) }
        let fd = try Posix.openRoot(root)
        let gone = Array("wide/d20".utf8)
        let states = try ParallelTreeWalk.walk(
            root: fd.raw, threads: 3, skipVanished: true, makeState: { [[UInt8]]() },
            visit: { state, walked in
                if walked.path == gone { throw TreeProblem.system("lstat", on: "wide/d20", errno: ENOENT) }
                state.append(walked.path)
            })
        let met = states.flatMap { $0 }.sorted { $0.lexicographicallyPrecedes($1) }
        let expected = try Self.walkedByOneThread(root).filter { $0 != gone && !$0.starts(with: gone + [0x2f]) }
        #expect(met == expected)
        #expect(!expected.isEmpty && met.count == expected.count)

        // Not asked (a digest of a stopped guest): the same problem fails the walk.
        #expect(throws: TreeProblem.self) {
            _ = try ParallelTreeWalk.walk(root: fd.raw, threads: 3, makeState: { 0 }, visit: { _, walked in
                if walked.path == gone { throw TreeProblem.system("lstat", on: "wide/d20", errno: ENOENT) }
            })
        }
    }

    @Test func filesHashedByEveryThreadReachTheCache() throws {
        let root = try Self.wideTree()
        defer { TestDirectory.remove(root) }
        let files = try Self.walkedByOneThread(root).filter { path in
            var st = stat()
            return lstat(root + "/" + String(decoding: path, as: UTF8.self), &st) == 0 && st.st_mode & S_IFMT == S_IFREG
        }
        var cache: DigestCache? = DigestCache(hashedAt: Date().timeIntervalSince1970 + 5)
        let first = TreeDigester.digest(of: try TreeDigester.scan(root: root, operation: "test", cache: &cache, tolerant: false, threads: 4))
        #expect(cache?.count == files.count)
        #expect(cache?.changed == true)

        // Trusted by the next digest: nothing read, nothing changed.
        var warm: DigestCache? = try DigestCache.reloaded(try #require(cache))
        let second = TreeDigester.digest(of: try TreeDigester.scan(root: root, operation: "test", cache: &warm, tolerant: false, threads: 4))
        #expect(second == first)
        #expect(warm?.changed == false, "a cached file was read again")

        // A file gone: its entry goes from the cache.
        #expect(unlink(root + "/wide/d13/f3") == 0)
        _ = try TreeDigester.scan(root: root, operation: "test", cache: &warm, tolerant: false, threads: 4)
        #expect(warm?.count == files.count - 1)
    }
}

extension DigestCache {
    /// `cache` saved and loaded again: what a later digest of a layer starts from.
    static func reloaded(_ cache: DigestCache) throws -> DigestCache {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("digest-cache-\(UUID().uuidString)").path
        defer { unlink(file) }
        try cache.save(file)
        return DigestCache.load(file, hashedAt: Date().timeIntervalSince1970 + 5)
    }
}
