@testable import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import Synchronization
import Testing

/// etcd members lost: one (writes go on), two of three (writes fail naming
/// the quorum, reads answer from the replica flagged stale), all back
/// (everything catches up, nothing half-applied).
@Suite(.tags(.root), .serialized) struct QuorumTests {
    @Test func writesNeedAQuorumAndReadsSayTheyMayBeStale() throws {
        try withReplicaFleet(timeout: 3) { fleet in
            try fleet.loadSeed()
            let a = try fleet.replica("a"), b = try fleet.replica("b")
            let warnings = Mutex<[String]>([])
            a.onWarning { message in warnings.withLock { $0.append(message) } }

            fleet.cluster.kill(0)
            try a.setSetting("defaults.cpus", "1")
            #expect(try b.setting("defaults.cpus") == "1")

            fleet.cluster.kill(1)
            let error = #expect(throws: FleetError.self) { try a.setSetting("defaults.cpus", "2") }
            #expect(error?.message.contains("quorum") == true, "\(error?.message ?? "")")
            #expect(a.staleReason == nil)
            // The read answers from the replica, and says it may be stale.
            #expect(try a.setting("defaults.cpus") == "1")
            #expect(a.staleReason != nil)
            #expect(warnings.withLock { $0 }.contains { $0.contains("may be stale") })
            #expect(try a.appliedLogEntry() == 1)

            try fleet.cluster.restart(0)
            try fleet.cluster.restart(1)
            // The failed write left nothing anywhere; the next ones go on.
            try b.setSetting("defaults.disk", "2G")
            try a.setSetting("defaults.memory", "512M")
            let settings = try b.settings()
            #expect(settings["defaults.cpus"] == "1" && settings["defaults.disk"] == "2G" && settings["defaults.memory"] == "512M")
            #expect(try a.appliedLogEntry() == 3)
            #expect(try ReplicaFixture.dump(fleet.replicaPath("a")) == ReplicaFixture.dump(fleet.replicaPath("b")))
        }
    }
}
