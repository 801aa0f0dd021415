@testable import FleetAgent
import FleetProtocol
import FleetTestSupport
import FleetTree
import FleetTreeStream
import Foundation
import Glibc
import Testing

extension AgentIntegration {
    /// A moved layer arrives owned in the range its guest will have at the
    /// destination (Agent+OwnerMap): the start then rebases nothing, the
    /// staged digest is still the source's, and whatever the copy could not
    /// map is left to the start's rebase as before.
    @Suite struct OwnerMap {
        /// A started user namespace guest `src` whose own processes made
        /// /data/f (owned by its uid 1000) and /data/g (its root); stopped.
        func makeSource(_ t: TestAgent) throws -> UInt32 {
            try t.makeGuest("src")
            let made = try t.run("src", "mkdir -p /data && echo hi > /data/f && chown 1000:1000 /data/f && echo g > /data/g && ln -s f /data/l")
            #expect(made.exitCode == 0, "\(made.stderr)")
            _ = try t.agent.stop("src")
            return UInt32(try t.agent.guests.load("src").contextId) << 16
        }

        func copy(_ t: TestAgent, into name: String, since: [TreeManifestEntry]? = nil) throws {
            var sink = MemorySink()
            _ = try t.agent.exportLayer("src", since: since, to: &sink)
            var source = MemorySource(sink.bytes)
            _ = try t.agent.importLayer(name, from: &source)
        }

        func owner(_ path: String) -> (UInt32, UInt32) {
            var st = stat()
            _ = lstat(path, &st)
            return (st.st_uid, st.st_gid)
        }

        func inGuest(_ t: TestAgent, _ name: String, _ script: String) throws -> String {
            let r = try t.run(name, script)
            #expect(r.exitCode == 0, "\(r.stderr)")
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        @Test func aMovedLayerArrivesInItsNewRangeAndRunsThere() throws {
            try withTestAgent { t in
                let s = try makeSource(t)
                defer { t.agent.discardStaging("dst") }
                try copy(t, into: "dst")

                let map = try #require(t.agent.ownerMap("dst"))
                let target = UInt32(map.contextId) << 16
                #expect(map.sourceBase == s && map.targetBase == target && map.exact)
                let upper = t.agent.stagingUpper("dst")
                #expect(owner(upper + "/data/f") == (target + 1000, target + 1000))
                #expect(owner(upper + "/data/g") == (target, target))
                #expect(owner(upper + "/data/l") == (target, target))
                #expect(owner(upper) == (target, target), "the staged root does not say the layer is in its range")
                let digest = try t.agent.layerDigest("src", staging: false).digest
                #expect(try t.agent.layerDigest("dst", staging: true).digest == digest)
                // A resumed delta compares with the owners the source has.
                let staged = try t.agent.layerManifest("dst", staging: true).first { $0.path == "data/f" }
                #expect(staged?.uid == s + 1000)

                let adopted = try t.agent.adopt(GuestSpec(name: "dst", template: TestAgent.template), expectedDigest: digest)
                #expect(adopted.contextId == map.contextId)
                // A resumed move adopts again: the same guest, not a refusal.
                #expect(try t.agent.adopt(GuestSpec(name: "dst", template: TestAgent.template), expectedDigest: digest).contextId == map.contextId)
                _ = try t.agent.start("dst")
                #expect(try inGuest(t, "dst", "stat -c %u:%g /data/f /data/g") == "1000:1000\n0:0")
                #expect(try inGuest(t, "dst", "echo more >> /data/g && cat /data/g") == "g\nmore")
                #expect(!FileManager.default.fileExists(atPath: t.agent.ownerMapFile("dst", staging: false)))
            }
        }

        @Test func anOwnerOutsideTheGuestsRangeIsLeftToTheStartsRebase() throws {
            try withTestAgent { t in
                _ = try makeSource(t)
                let hostOwned = t.agent.paths.guestUpper("src") + "/data/host-owned"
                try Data("x\n".utf8).write(to: URL(fileURLWithPath: hostOwned))
                #expect(lchown(hostOwned, 0, 0) == 0)
                defer { t.agent.discardStaging("dst") }
                try copy(t, into: "dst")

                let map = try #require(t.agent.ownerMap("dst"))
                #expect(!map.exact)
                #expect(owner(t.agent.stagingUpper("dst")) == (0, 0), "a layer not wholly in its range must be rebased at its start")
                let digest = try t.agent.layerDigest("src", staging: false).digest
                _ = try t.agent.adopt(GuestSpec(name: "dst", template: TestAgent.template), expectedDigest: digest)
                _ = try t.agent.start("dst")
                let base = UInt32(try t.agent.guests.load("dst").contextId) << 16
                #expect(owner(t.agent.paths.guestUpper("dst") + "/data/host-owned") == (base, base))
                #expect(try inGuest(t, "dst", "stat -c %u:%g /data/host-owned /data/f") == "0:0\n1000:1000")
            }
        }

        @Test func aStagedOwnerChangedAfterTheCopyIsNotAdopted() throws {
            try withTestAgent { t in
                _ = try makeSource(t)
                defer { t.agent.discardStaging("dst") }
                try copy(t, into: "dst")
                let target = try #require(t.agent.ownerMap("dst")).targetBase
                #expect(lchown(t.agent.stagingUpper("dst") + "/data/f", target + 1001, target + 1000) == 0)
                let digest = try t.agent.layerDigest("src", staging: false).digest
                do throws(FleetError) {
                    _ = try t.agent.adopt(GuestSpec(name: "dst", template: TestAgent.template), expectedDigest: digest)
                    Issue.record("a staged layer whose owner changed was adopted")
                } catch {
                    #expect(error.message.contains("its staged layer has digest"), "\(error.message)")
                }
            }
        }

        @Test func aPlannedContextIdTakenMeanwhileIsRebasedAtTheStart() throws {
            try withTestAgent { t in
                _ = try makeSource(t)
                defer { t.agent.discardStaging("dst") }
                try copy(t, into: "dst")
                let planned = try #require(t.agent.ownerMap("dst")).contextId
                // A second incoming copy plans another range.
                defer { t.agent.discardStaging("dst2") }
                try copy(t, into: "dst2")
                #expect(try #require(t.agent.ownerMap("dst2")).contextId != planned)
                // A guest made meanwhile takes the planned id.
                try t.makeGuest("other", start: false)
                #expect(try t.agent.guests.load("other").contextId == planned)

                let digest = try t.agent.layerDigest("src", staging: false).digest
                let adopted = try t.agent.adopt(GuestSpec(name: "dst", template: TestAgent.template), expectedDigest: digest)
                #expect(adopted.contextId != planned)
                _ = try t.agent.start("dst")
                let base = UInt32(adopted.contextId) << 16
                #expect(owner(t.agent.paths.guestUpper("dst") + "/data/f") == (base + 1000, base + 1000))
                #expect(try inGuest(t, "dst", "stat -c %u:%g /data/f /data/g") == "1000:1000\n0:0")
            }
        }

        @Test func aDeltaMovesItsOwnersWithTheSameMap() throws {
            try withTestAgent { t in
                let s = try makeSource(t)
                defer { t.agent.discardStaging("dst") }
                try copy(t, into: "dst")
                let map = try #require(t.agent.ownerMap("dst"))
                let added = t.agent.paths.guestUpper("src") + "/data/new"
                try Data("new\n".utf8).write(to: URL(fileURLWithPath: added))
                #expect(lchown(added, s + 7, s + 7) == 0)
                try copy(t, into: "dst", since: try t.agent.layerManifest("dst", staging: true))
                #expect(owner(t.agent.stagingUpper("dst") + "/data/new") == (map.targetBase + 7, map.targetBase + 7))
                #expect(t.agent.ownerMap("dst") == map)
                #expect(try t.agent.layerDigest("dst", staging: true) == (try t.agent.layerDigest("src", staging: false)))
            }
        }
    }
}
