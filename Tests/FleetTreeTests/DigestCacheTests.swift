import FleetTestSupport
import FleetTree
import Foundation
import Glibc
import Testing

@Suite(.tags(.unit)) struct DigestCacheTests {
    /// A tree with a few files, hashed into a cache "a while later" (files
    /// changed well before the hashing are trusted).
    static func tree() throws -> String {
        let root = try TestDirectory.make()
        try TreeDigesterTests.makeSampleTree(at: root)
        try TestDirectory.makeDirectory(root + "/data")
        for i in 0..<20 { try TestDirectory.writeFile(root + "/data/f\(i)", String(repeating: "x\(i)", count: 1000)) }
        try TestDirectory.writeFile(root + "/data/with space\nand newline", "odd name")
        return root
    }

    /// Rewrites one of `tree()`'s data files with other bytes of the same
    /// length and puts its old mtime back: only its ctime tells.
    static func rewriteKeepingSizeAndMtime(_ path: String) throws {
        var before = stat()
        try #require(stat(path, &before) == 0)
        usleep(20_000)
        try TestDirectory.writeFile(path, String(repeating: "y3", count: 1000))
        var times = [before.st_atim, before.st_mtim]
        try #require(utimensat(AT_FDCWD, path, &times, 0) == 0)
    }

    static func cached(_ root: String, after seconds: Double = 5) throws -> DigestCache? {
        var cache: DigestCache? = DigestCache(hashedAt: Date().timeIntervalSince1970 + seconds)
        _ = try TreeDigester.digest(root: root, cache: &cache)
        return cache
    }

    @Test func aDigestFromTheCacheEqualsAFullOneAndSurvivesSaveAndLoad() throws {
        let root = try Self.tree()
        defer { TestDirectory.remove(root) }
        let full = try TreeDigester.digest(root: root)
        let cache = try #require(try Self.cached(root))
        #expect(cache.count == 26)  // every file name: 5 in the sample tree (a hard link counts twice), 21 in data/
        let file = root + ".cache"
        defer { unlink(file) }
        try cache.save(file)
        var loaded: DigestCache? = DigestCache.load(file)
        #expect(loaded?.count == cache.count)
        #expect(try TreeDigester.digest(root: root, cache: &loaded) == full)
    }

    @Test func aFileRewrittenWithTheSameSizeAndItsOldMtimeIsHashedAgain() throws {
        let root = try Self.tree()
        defer { TestDirectory.remove(root) }
        var cache = try Self.cached(root)
        try Self.rewriteKeepingSizeAndMtime(root + "/data/f3")
        let full = try TreeDigester.digest(root: root)
        #expect(try TreeDigester.digest(root: root, cache: &cache) == full)
    }

    @Test func filesChangedJustBeforeTheHashingAreNotTrusted() throws {
        let root = try Self.tree()
        defer { TestDirectory.remove(root) }
        // Hashed as if it began just after the first file was written: every
        // file changed inside the racy window before it. ("Now" would not
        // do: on a loaded machine, making the tree takes longer than the
        // window, and the first files are then rightly trusted.)
        let earliest = try TestDirectory.earliestFileChange(under: root)
        var cache: DigestCache? = DigestCache(hashedAt: earliest + DigestCache.racyWindow / 2)
        _ = try TreeDigester.digest(root: root, cache: &cache)
        #expect(cache?.count == 0)
        // A window later, all of them are.
        var later: DigestCache? = DigestCache(hashedAt: Date().timeIntervalSince1970 + DigestCache.racyWindow * 2)
        _ = try TreeDigester.digest(root: root, cache: &later)
        #expect(later?.count == 26)
    }

    @Test func prehashToleratesATreeThatChangesAndForgetsWhatIsGone() throws {
        let root = try Self.tree()
        defer { TestDirectory.remove(root) }
        var cache = DigestCache(hashedAt: Date().timeIntervalSince1970 + 5)
        try TreeDigester.prehash(root: root, cache: &cache)
        let n = cache.count
        unlink(root + "/data/f0")
        try TreeDigester.prehash(root: root, cache: &cache)
        #expect(cache.count == n - 1)
    }

    /// The file is parsed byte by byte (it is read while a moved guest is
    /// down): every field's edge, and damaged lines dropped one by one.
    @Test func everyWellFormedLineSurvivesLoadAndSaveAndOnlyThose() throws {
        let dir = try TestDirectory.make()
        defer { TestDirectory.remove(dir) }
        let digest = String(repeating: "ab", count: 32)
        let good = [
            // Device and inode as Int64 bit patterns, Int64.min included.
            "-9223372036854775808 -1 0 1700000000 999999999 1700000001 0 \(digest) usr/bin/x",
            "2049 9223372036854775807 4096 -5 0 0 1 \(digest) a b\\nc\\\\d  e",
            "1 2 3 4 5 6 7 \(digest) ",
        ]
        let damaged = [
            "1 2 3 4 5 6 7 \(String(digest.dropLast())) short-digest",
            "1 2 3 4 5 6 \(digest) six-numbers",
            "1 2 3 +4 5 6 7 \(digest) plus-sign",
            "1 2 3 99999999999999999999 5 6 7 \(digest) overflow",
            "1 2 3 4 5 6 7 \(digest) bad\\xescape",
            "1 2 3 4 5 6 7 \(digest)",
            "",
            "1  2 3 4 5 6 7 \(digest) two-spaces",
        ]
        var lines: [String] = []
        for (i, line) in good.enumerated() { lines += [line, damaged[i % damaged.count]] }
        lines += damaged
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/in", atomically: true, encoding: .utf8)
        let loaded = DigestCache.load(dir + "/in")
        #expect(loaded.count == good.count)
        try loaded.save(dir + "/out")
        let saved = try String(contentsOfFile: dir + "/out", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(Set(saved.dropLast().map(String.init)) == Set(good))
        // No newline after the last line is still a line.
        try good[0].write(toFile: dir + "/last", atomically: true, encoding: .utf8)
        #expect(DigestCache.load(dir + "/last").count == 1)
    }

    @Test func aDamagedCacheFileIsAnEmptyCache() throws {
        let file = try TestDirectory.make() + "/cache"
        defer { TestDirectory.remove((file as NSString).deletingLastPathComponent) }
        try "1 2 3 garbage\nnot a line at all\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(DigestCache.load(file).count == 0)
    }
}

/// ``DigestCache/changed``: the agent saves a layer's cache only when it
/// changed, so an unchanged one must say so, and any change must too.
@Suite(.tags(.unit)) struct DigestCacheChangeTests {
    @Test func aWarmCacheIsUnchangedByADigestAndAnyNewFileChangesIt() throws {
        let root = try DigestCacheTests.tree()
        defer { TestDirectory.remove(root) }
        let file = root + ".cache"
        defer { unlink(file) }
        try #require(try DigestCacheTests.cached(root)).save(file)

        var loaded: DigestCache? = DigestCache.load(file, hashedAt: Date().timeIntervalSince1970 + 5)
        #expect(loaded?.changed == false)
        _ = try TreeDigester.digest(root: root, cache: &loaded)
        #expect(loaded?.changed == false, "every file was in the cache: nothing to save")

        try TestDirectory.writeFile(root + "/data/added", "new")
        _ = try TreeDigester.digest(root: root, cache: &loaded)
        #expect(loaded?.changed == true, "a new file's digest must be saved")
    }

    @Test func aRemovedFileChangesTheCache() throws {
        let root = try DigestCacheTests.tree()
        defer { TestDirectory.remove(root) }
        let file = root + ".cache"
        defer { unlink(file) }
        try #require(try DigestCacheTests.cached(root)).save(file)
        #expect(unlink(root + "/data/f3") == 0)

        var loaded: DigestCache? = DigestCache.load(file, hashedAt: Date().timeIntervalSince1970 + 5)
        _ = try TreeDigester.digest(root: root, cache: &loaded)
        #expect(loaded?.changed == true, "the removed file's entry must leave the saved cache")
        #expect(loaded?.count == 25)
    }
}
