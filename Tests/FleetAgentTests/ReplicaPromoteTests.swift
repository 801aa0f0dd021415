@testable import FleetAgent
import FleetProtocol
import FleetTree
import Foundation
import Testing

extension AgentIntegration {
    /// replica.promote on one real agent: a replica point laid out by hand
    /// (as a sync leaves it) becomes the guest by renames; run again, the
    /// same answer; refused without a point, or over a guest no promote made.
    @Suite struct ReplicaPromote {
        /// replicas/NAME/p-1 with one file, point.json and the current link.
        static func plantPoint(_ t: TestAgent, _ name: String, text: String) throws -> ReplicaPoint {
            let dir = t.root + "/replicas/\(name)/p-1"
            try FileManager.default.createDirectory(atPath: dir + "/upper", withIntermediateDirectories: true)
            try text.write(toFile: dir + "/upper/data", atomically: true, encoding: .utf8)
            let digest = try TreeDigester.digest(root: dir + "/upper")
            let point = ReplicaPoint(guest: name, point: 1, takenAt: 1_000, digest: digest.digest, fileCount: digest.fileCount,
                                     totalBytes: digest.totalBytes, frozenSeconds: 0.001, spec: GuestSpec(name: name, template: TestAgent.template))
            try JSONEncoder().encode(point).write(to: URL(fileURLWithPath: dir + "/point.json"))
            try FileManager.default.createSymbolicLink(atPath: t.root + "/replicas/\(name)/current", withDestinationPath: "p-1")
            return point
        }

        @Test func aPointBecomesTheGuestAndARepeatAnswersTheSame() throws {
            try withTestAgent { t in
                let planted = try Self.plantPoint(t, "pr1", text: "as of the point\n")
                var inode = stat()
                #expect(lstat(t.root + "/replicas/pr1/p-1/upper/data", &inode) == 0)
                let spec = GuestSpec(name: "pr1", template: TestAgent.template)
                let made = try t.agent.promoteReplica(ReplicaPromoteParams(name: "pr1", spec: spec))
                #expect(!made.already && made.point == planted && made.guest.state == .stopped)
                let data = t.agent.paths.guestUpper("pr1") + "/data"
                #expect(try String(contentsOfFile: data, encoding: .utf8) == "as of the point\n")
                var moved = stat()
                #expect(lstat(data, &moved) == 0 && moved.st_ino == inode.st_ino, "renamed, not copied")
                #expect(!FileManager.default.fileExists(atPath: t.root + "/replicas/pr1"), "the rest of the replica is gone")
                let again = try t.agent.promoteReplica(ReplicaPromoteParams(name: "pr1", spec: spec))
                #expect(again.already && again.point == planted)
            }
        }

        @Test func refusedWithoutAPointOrOverAnotherGuest() throws {
            try withTestAgent { t in
                let spec = GuestSpec(name: "none1", template: TestAgent.template)
                #expect(throws: FleetError.self) { _ = try t.agent.promoteReplica(ReplicaPromoteParams(name: "none1", spec: spec)) }
                // A replica directory whose first sync never finished: no current point.
                try FileManager.default.createDirectory(atPath: t.root + "/replicas/half1/.next-x/upper", withIntermediateDirectories: true)
                do throws(FleetError) {
                    _ = try t.agent.promoteReplica(ReplicaPromoteParams(name: "half1", spec: GuestSpec(name: "half1", template: TestAgent.template)))
                    Issue.record("promoted a replica without a complete point")
                } catch { #expect(error.code == .notFound && error.message.contains("no complete point"), "\(error.message)") }
                // A guest of that name that no promote made is not taken for one.
                _ = try t.agent.create(GuestSpec(name: "own1", template: TestAgent.template))
                _ = try Self.plantPoint(t, "own1", text: "x\n")
                do throws(FleetError) {
                    _ = try t.agent.promoteReplica(ReplicaPromoteParams(name: "own1", spec: GuestSpec(name: "own1", template: TestAgent.template)))
                    Issue.record("a promote took over an existing guest")
                } catch { #expect(error.code == .conflict, "\(error.message)") }
                #expect(FileManager.default.fileExists(atPath: t.root + "/replicas/own1/p-1/upper/data"), "the replica is left as it was")
            }
        }
    }
}
