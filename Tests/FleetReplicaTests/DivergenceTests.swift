@testable import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import GRDB
import Testing

/// A replica changed behind the log's back conflicts with the next entry:
/// it stops with an error saying how to rebuild it, and applies none of
/// the entry; rebuilt, it is identical to the others again.
@Suite(.tags(.root), .serialized) struct DivergenceTests {
    @Test func aDivergedReplicaStopsWholeAndIsRebuilt() throws {
        try withReplicaFleet { fleet in
            try fleet.loadSeed()
            let a = try fleet.replica("a")
            do {
                let b = try fleet.replica("b")
                // Behind the log's back: host h2 is cordoned on b only. (An
                // entry checks the old values of the columns it changes.)
                try b.pool.write { db in try db.execute(sql: "UPDATE hosts SET cordoned = 1 WHERE name = 'h2'") }
            }
            // One entry that changes h1 and h2 together.
            try a.write { db in try db.execute(sql: "UPDATE hosts SET cordoned = 1") }
            let error = #expect(throws: FleetError.self) { try fleet.replica("b") }
            #expect(error?.message.contains("has diverged") == true && error?.message.contains("move \(fleet.replicaPath("b"))") == true,
                    "\(error?.message ?? "")")
            // Nothing of the entry was applied: h1 is not cordoned on b either.
            let b = try DatabaseQueue(path: fleet.replicaPath("b"))
            #expect(try b.read { db in try String.fetchAll(db, sql: "SELECT name FROM hosts WHERE cordoned = 1") } == ["h2"])
            #expect(try b.read { db in try Int64.fetchOne(db, sql: "SELECT seq FROM vfleet_replica") } == 0)
            try b.close()
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: fleet.replicaPath("b") + suffix) }
            let rebuilt = try fleet.replica("b")
            #expect(try rebuilt.hosts().allSatisfy { $0.cordoned })
            #expect(try ReplicaFixture.dump(fleet.replicaPath("a")) == ReplicaFixture.dump(fleet.replicaPath("b")))
        }
    }
}
