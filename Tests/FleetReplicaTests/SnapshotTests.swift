@testable import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

/// Snapshots and the log behind them: a deleted replica is rebuilt, one
/// that was away while the log was compacted catches up from the snapshot.
@Suite(.tags(.root), .serialized) struct SnapshotTests {
    @Test func aDeletedReplicaIsRebuiltFromSnapshotAndLog() throws {
        try withReplicaFleet(snapshotEvery: 5) { fleet in
            try fleet.loadSeed()
            let a = try fleet.replica("a")
            do {
                let b = try fleet.replica("b")
                try b.setSetting("defaults.cpus", "1")
            }
            for n in 0..<12 { try a.insertGuest(ReplicaFixture.guest("g\(n)"), on: "h1") }
            // 13 entries: snapshots at 5 and 10 dropped entries 1...10.
            #expect(try fleet.logKeys().count == 3)
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: fleet.replicaPath("b") + suffix) }
            let b = try fleet.replica("b")
            #expect(try b.appliedLogEntry() == 13)
            #expect(try b.guests().count == 12 && b.setting("defaults.cpus") == "1")
            #expect(try ReplicaFixture.dump(fleet.replicaPath("a")) == ReplicaFixture.dump(fleet.replicaPath("b")))
        }
    }

    @Test func aReplicaOfflineAcrossCompactionCatchesUp() throws {
        try withReplicaFleet(snapshotEvery: 4) { fleet in
            try fleet.loadSeed()
            let a = try fleet.replica("a")
            try a.insertGuest(ReplicaFixture.guest("first"), on: "h1")
            // Closed ("offline") at entry 1, and one kept open but idle.
            do { #expect(try fleet.replica("b").appliedLogEntry() == 1) }
            let idle = try fleet.replica("c")
            for n in 0..<10 { try a.insertGuest(ReplicaFixture.guest("g\(n)"), on: "h2") }
            #expect(try !fleet.logKeys().contains { $0.hasSuffix("/00000000000000000002") }, "entry 2 was not compacted")
            let b = try fleet.replica("b")
            #expect(try b.appliedLogEntry() == 11)
            #expect(try idle.guests().count == 11 && idle.appliedLogEntry() == 11)
            let dumpA = try ReplicaFixture.dump(fleet.replicaPath("a"))
            #expect(try dumpA == ReplicaFixture.dump(fleet.replicaPath("b")))
            #expect(try dumpA == ReplicaFixture.dump(fleet.replicaPath("c")))
        }
    }
}
