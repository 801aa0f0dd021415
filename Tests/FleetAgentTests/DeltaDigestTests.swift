import FleetAgent
import FleetProtocol
import FleetTree
import FleetTreeStream
import Foundation
import Glibc
import FleetTestSupport
import Testing

extension AgentIntegration {
    /// A move's delta, sent while the guest is stopped, also gives the
    /// layer's digest from its own scan (guest.export's and transfer.send's
    /// `digest`): the stopped layer is walked once for both. The digest must
    /// be the one guest.digest gives, whatever the digest cache holds.
    @Suite struct DeltaDigest {
        /// A pre-copy of guest "src" into the staging area of "dst"; the
        /// digest cache it left in memory.
        @discardableResult
        func precopy(_ t: TestAgent) throws -> DigestCache? {
            var sink = MemorySink()
            let sent = try t.agent.exportLayer("src", since: nil, to: &sink, reuse: nil, digest: false, digests: nil) { _ throws(FleetError) in }
            var source = MemorySource(sink.bytes)
            _ = try t.agent.importLayer("dst", from: &source)
            return sent.digestCache
        }

        /// The delta against the staged copy, with the digest, applied to
        /// it; `digests`: the pre-copy's cache in memory, or nil to read the
        /// cache file. `finished` counts the calls of the stream's finish.
        func delta(_ t: TestAgent, digests: DigestCache?, finished: inout Int) throws -> LayerTransfer {
            var sink = MemorySink()
            var calls = 0
            let since = try t.agent.layerManifest("dst", staging: true)
            let sent = try t.agent.exportLayer("src", since: since, to: &sink, reuse: nil, digest: true, digests: digests) {
                _ throws(FleetError) in
                calls += 1
            }
            finished = calls
            var source = MemorySource(sink.bytes)
            _ = try t.agent.importLayer("dst", from: &source)
            return sent
        }

        func makeLayer(_ t: TestAgent) throws -> String {
            try t.makeGuest("src", start: false)
            let upper = t.agent.paths.guestUpper("src")
            try FileManager.default.createDirectory(atPath: upper + "/data/sub", withIntermediateDirectories: true)
            for i in 0..<60 { try Data("file \(i)\n".utf8).write(to: URL(fileURLWithPath: upper + "/data/f\(i)")) }
            try Data(repeating: 7, count: 200_000).write(to: URL(fileURLWithPath: upper + "/data/sub/big"))
            try #require(symlink("f1", upper + "/data/link") == 0)
            return upper
        }

        @Test(arguments: [true, false])
        func theDeltasDigestIsTheStoppedLayersDigestAndTheStagedCopysAfterIt(cacheInMemory: Bool) throws {
            try withTestAgent { t in
                let upper = try makeLayer(t)
                defer { t.agent.discardStaging("dst") }
                let cache = try precopy(t)
                #expect(cache != nil)
                let before = try t.agent.layerDigest("src", staging: false).digest
                // Changed after the pre-copy: the delta carries these.
                try Data("rewritten\n".utf8).write(to: URL(fileURLWithPath: upper + "/data/f3"))
                try Data("new\n".utf8).write(to: URL(fileURLWithPath: upper + "/data/sub/new"))
                try FileManager.default.removeItem(atPath: upper + "/data/f9")
                var finished = 0
                let sent = try delta(t, digests: cacheInMemory ? cache : nil, finished: &finished)
                #expect(finished == 1)
                #expect(sent.digestCache != nil)
                let digest = try #require(sent.digest, "the delta gave no digest")
                let now = try t.agent.layerDigest("src", staging: false)
                #expect(digest == now)
                #expect(digest.digest != before)
                #expect(try t.agent.layerDigest("dst", staging: true) == digest)
            }
        }

        /// The digest reads what the cache cannot vouch for: with no cache
        /// at all, every file is read, and the result is the same.
        @Test func withoutADigestCacheTheDeltasDigestReadsTheFiles() throws {
            try withTestAgent { t in
                _ = try makeLayer(t)
                defer { t.agent.discardStaging("dst") }
                try precopy(t)
                let cacheFile = t.agent.paths.guest("src") + "/digest-cache"
                try #require(unlink(cacheFile) == 0)
                // Older than the cache's racy window: what the digest reads, it caches.
                usleep(300_000)
                var finished = 0
                let sent = try delta(t, digests: nil, finished: &finished)
                #expect(sent.stats.entries == 0)
                #expect(sent.digest == (try t.agent.layerDigest("src", staging: false)))
                #expect(DigestCache.load(cacheFile).count == 61, "the 61 files the digest read were not cached")
            }
        }

        /// A file rewritten after the pre-copy with its size and mtime put
        /// back is not in the delta (its manifest fields match), but its
        /// ctime changed: the digest reads it again instead of trusting the
        /// cache or the stream, so the stopped source's digest differs from
        /// the staged copy's and adopt would refuse the copy.
        @Test(arguments: [true, false])
        func aFileRewrittenWithItsMtimePutBackIsReadForTheDigest(cacheInMemory: Bool) throws {
            try withTestAgent { t in
                let upper = try makeLayer(t)
                defer { t.agent.discardStaging("dst") }
                // Older than the cache's racy window: the pre-copy caches every file.
                usleep(300_000)
                let cache = try precopy(t)
                #expect(cache?.count == 61)
                let cacheFile = t.agent.paths.guest("src") + "/digest-cache"
                #expect(DigestCache.load(cacheFile).count == 61)
                // Let the ctime differ from the cached one by more than the cache's racy window.
                usleep(1_200_000)
                try AdoptDigest.flipByte(upper + "/data/sub/big", at: 1000)
                var finished = 0
                let sent = try delta(t, digests: cacheInMemory ? cache : nil, finished: &finished)
                #expect(sent.stats.fileBytes == 0, "the delta carried the rewritten file")
                let digest = try #require(sent.digest)
                #expect(digest == (try t.agent.layerDigest("src", staging: false)))
                #expect(digest != (try t.agent.layerDigest("dst", staging: true)))
            }
        }

        /// The pre-copy's cache, kept in memory, is saved already: an empty
        /// delta's digest, while the guest is down, does not write the same
        /// 50,000 lines (for a guest of small files) to the file again.
        @Test func anEmptyDeltaLeavesTheSourcesCacheFileAlone() throws {
            try withTestAgent { t in
                _ = try makeLayer(t)
                defer { t.agent.discardStaging("dst") }
                usleep(300_000)
                let cache = try precopy(t)
                #expect(cache?.changed == false)
                let cacheFile = t.agent.paths.guest("src") + "/digest-cache"
                var before = stat()
                try #require(stat(cacheFile, &before) == 0)
                var finished = 0
                let sent = try delta(t, digests: cache, finished: &finished)
                #expect(sent.stats.entries == 0 && sent.stats.deleted == 0)
                var after = stat()
                try #require(stat(cacheFile, &after) == 0)
                #expect(after.st_ino == before.st_ino && after.st_mtim.tv_sec == before.st_mtim.tv_sec
                        && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec, "the cache file was written again")
                #expect(sent.digest == (try t.agent.layerDigest("src", staging: false)))
            }
        }

        /// An attack from inside a real guest on the digest the agent takes
        /// from the delta's scan: root in the guest plants symlinks to a host
        /// file and to "/", and a FIFO, then the guest is stopped. The agent
        /// reads every file again (no cache) and must follow none of them,
        /// nor block on the FIFO: the digest is the reference walk's, it does
        /// not change when the host file does, and the staged copy holds the
        /// links as links.
        @Test func aGuestsPlantedLinksAndFifoAreNotFollowedByTheDeltasDigest() throws {
            try withTestAgent { t in
                let hostFile = "/var/tmp/vfleet-delta-digest-target-\(getpid())"
                try Data("host secret 1\n".utf8).write(to: URL(fileURLWithPath: hostFile))
                defer { unlink(hostFile) }
                try t.makeGuest("src", start: true)
                defer { t.agent.discardStaging("dst") }
                let planted = try t.run("src", "mkdir -p /data && ln -s \(hostFile) /data/host && ln -s / /data/root "
                                        + "&& ln -s /etc/shadow /data/shadow && mkfifo /data/pipe && echo kept > /data/file")
                try #require(planted.exitCode == 0, "\(planted.stderr)")
                _ = try t.agent.stop("src", timeout: 5)
                try precopy(t)
                let cacheFile = t.agent.paths.guest("src") + "/digest-cache"
                let started = Date()
                unlink(cacheFile)
                var finished = 0
                let first = try #require(try delta(t, digests: nil, finished: &finished).digest)
                #expect(Date().timeIntervalSince(started) < 20, "the digest blocked")
                #expect(first == (try t.agent.layerDigest("src", staging: false)))
                try Data("host secret 2, another length\n".utf8).write(to: URL(fileURLWithPath: hostFile))
                unlink(cacheFile)
                let second = try #require(try delta(t, digests: nil, finished: &finished).digest)
                #expect(second == first, "the digest read the host file through the guest's link")
                let staged = t.agent.paths.guests + "/.incoming-dst/upper/data/"
                for (name, target) in [("host", hostFile), ("root", "/"), ("shadow", "/etc/shadow")] {
                    var st = stat()
                    #expect(lstat(staged + name, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK, "\(name) is not a link in the staged copy")
                    #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: staged + name)) == target)
                }
                var pipe = stat()
                #expect(lstat(staged + "pipe", &pipe) == 0 && (pipe.st_mode & S_IFMT) == S_IFIFO)
            }
        }

        /// The scan of a running guest's layer does not describe it once the
        /// digest is made: refused, and nothing is streamed.
        @Test func aRunningGuestsDeltaIsNotDigested() throws {
            try withTestAgent { t in
                try t.makeGuest("src", start: true)
                defer { _ = try? t.agent.stop("src", timeout: 5) }
                defer { t.agent.discardStaging("dst") }
                try precopy(t)
                var sink = MemorySink()
                let since = try t.agent.layerManifest("dst", staging: true)
                do throws(FleetError) {
                    _ = try t.agent.exportLayer("src", since: since, to: &sink, reuse: nil, digest: true, digests: nil) { _ throws(FleetError) in }
                    Issue.record("a running guest's delta was digested")
                } catch {
                    #expect(error.code == .conflict)
                    #expect(error.message.contains("the guest runs"), "\(error.message)")
                }
                #expect(sink.bytes.isEmpty)
            }
        }
    }
}
