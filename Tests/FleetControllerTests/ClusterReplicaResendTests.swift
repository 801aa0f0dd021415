@testable import FleetController
import FleetProtocol
import Foundation
import Glibc
import Testing

extension ClusterTests {
    /// A file rewritten with its size kept and its mtime put back looks
    /// unchanged to a sync's delta: the standby's digest check refuses that
    /// point, and the sync after it must send every file again
    /// (ReplicaStore+Resend), or the replica could never get a new point.
    @Suite struct ReplicaResend {
        @Test func aPointRefusedForItsDigestIsFollowedByASyncThatResendsEveryFile() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                try Replica.counterGuest(c, "rs")
                _ = try c.execGuest("rs", argv: ["/bin/sh", "-c", "echo aaaaaaaa > /same-size"], timeout: 30)
                _ = try c.stopGuest("rs", timeout: 5)
                let first = try c.replicateGuest("rs", to: "host2", every: nil)
                #expect(first.point == 1)
                // Rewritten behind the delta's back: same size, same mtime to the nanosecond.
                let file = cluster.upper("host1", "rs") + "/same-size"
                var before = stat()
                #expect(lstat(file, &before) == 0)
                try Data("bbbbbbbb\n".utf8).write(to: URL(fileURLWithPath: file))
                var times = [before.st_atim, before.st_mtim]
                #expect(utimensat(AT_FDCWD, file, &times, AT_SYMLINK_NOFOLLOW) == 0)
                let layer = try Migration.layerDigest(cluster.upper("host1", "rs"))
                #expect(layer != first.digest)
                do throws(FleetError) {
                    _ = try c.syncReplica("rs")
                    Issue.record("a point without the rewritten file was kept")
                } catch {
                    #expect(error.message.contains("the point was not kept") && error.message.contains("sends every file again"), "\(error.message)")
                }
                let kept = try c.connections.call(RPC.ReplicaShow(name: "rs", verify: true), on: try c.store.host("host2"))
                #expect(kept.point?.point == 1 && kept.digestNow == first.digest, "the previous point stays whole")
                // The next sync resends every file: the point is the layer.
                let next = try c.syncReplica("rs")
                #expect(next.point == 2 && next.digest == layer, "\(next)")
                #expect(try Migration.layerDigest(Replica.point(cluster, "host2", "rs")) == layer)
                #expect((try? String(contentsOfFile: Replica.point(cluster, "host2", "rs") + "/same-size", encoding: .utf8)) == "bbbbbbbb\n")
                // And the one after is an ordinary delta again.
                let third = try c.syncReplica("rs")
                #expect(third.point == 3 && third.digest == layer)
                let mark = cluster.state.hosts.first { $0.name == "host2" }!.stateDirectory + "/replicas/rs/.resend-files"
                #expect(!FileManager.default.fileExists(atPath: mark), "a committed point clears the mark")
            }
        }
    }
}
