import FleetAgent
import FleetProtocol
import FleetTree
import FleetTreeStream
import Foundation
import Glibc
import FleetTestSupport
import Testing

extension AgentIntegration {
    /// The receiving side of a move keeps the digests of what it wrote; a
    /// delta that changes nothing (the usual one, while the guest is down)
    /// leaves the digest cache file alone instead of reading and rewriting it.
    @Suite struct LayerImportCache {
        func transfer(_ t: TestAgent, since: [TreeManifestEntry]?) throws -> LayerTransfer {
            var sink = MemorySink()
            _ = try t.agent.exportLayer("src", since: since, to: &sink)
            var source = MemorySource(sink.bytes)
            return try t.agent.importLayer("dst", from: &source)
        }

        func identity(_ path: String) -> (ino_t, Int, Int)? {
            var st = stat()
            guard stat(path, &st) == 0 else { return nil }
            return (st.st_ino, st.st_mtim.tv_sec, st.st_mtim.tv_nsec)
        }

        @Test func anEmptyDeltaLeavesTheCacheAloneAndAChangedOneKeepsEveryDigest() throws {
            try withTestAgent { t in
                try t.makeGuest("src", start: false)
                let upper = t.agent.paths.guestUpper("src")
                try FileManager.default.createDirectory(atPath: upper + "/data", withIntermediateDirectories: true)
                for i in 0..<100 { try Data("file \(i)\n".utf8).write(to: URL(fileURLWithPath: upper + "/data/f\(i)")) }
                defer { t.agent.discardStaging("dst") }

                let full = try transfer(t, since: nil)
                let cacheFile = t.agent.paths.guests + "/.incoming-dst/digest-cache"
                let entries = DigestCache.load(cacheFile).count
                #expect(full.cachedDigests == entries)
                #expect(entries >= 100)
                let before = try #require(identity(cacheFile))

                let empty = try transfer(t, since: try t.agent.layerManifest("dst", staging: true))
                #expect(empty.stats.entries == 0 && empty.stats.deleted == 0)
                #expect(empty.cachedDigests == 0)
                let after = try #require(identity(cacheFile))
                #expect(after.0 == before.0 && after.1 == before.1 && after.2 == before.2, "the cache file was rewritten")

                try Data("changed\n".utf8).write(to: URL(fileURLWithPath: upper + "/data/f7"))
                let changed = try transfer(t, since: try t.agent.layerManifest("dst", staging: true))
                #expect(changed.stats.entries >= 1)
                #expect(changed.cachedDigests == entries)
                #expect(DigestCache.load(cacheFile).count == entries)
                #expect(try t.agent.layerDigest("dst", staging: true) == (try t.agent.layerDigest("src", staging: false)))
            }
        }
    }
}
