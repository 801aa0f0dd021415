@testable import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

/// An append that etcd never answers is neither reported done nor silently
/// failed: the command fails saying the outcome is unknown, the replica is
/// left as it was, and once etcd is back every replica converges on
/// whatever etcd decided.
@Suite(.tags(.root), .serialized) struct UnknownOutcomeTests {
    @Test func anUnansweredAppendIsReportedUnknownAndConvergesLater() throws {
        try withReplicaFleet(timeout: 1) { fleet in
            try fleet.loadSeed()
            let a = try fleet.replica("a"), b = try fleet.replica("b")
            var paused = false
            defer { if paused { for index in 0..<3 { fleet.cluster.resume(index) } } }
            let error = #expect(throws: FleetError.self) {
                try a.write { db in
                    // Every member hangs after the body ran: the append is sent and never answered.
                    if !paused {
                        for index in 0..<3 { fleet.cluster.pause(index) }
                        paused = true
                    }
                    try db.execute(sql: "INSERT INTO settings (key, value) VALUES ('defaults.cpus', '2')")
                }
            }
            #expect(error?.message.contains("unknown outcome") == true, "\(error?.message ?? "")")
            #expect(try a.appliedLogEntry() == 0)
            for index in 0..<3 { fleet.cluster.resume(index) }
            paused = false
            try fleet.cluster.waitHealthy(timeout: 20)
            // Whatever etcd decided, both replicas hold the same.
            let seen = try a.setting("defaults.cpus")
            #expect(try b.setting("defaults.cpus") == seen)
            #expect(try a.appliedLogEntry() == (seen == nil ? 0 : 1))
            #expect(try ReplicaFixture.dump(fleet.replicaPath("a")) == ReplicaFixture.dump(fleet.replicaPath("b")))
        }
    }
}
