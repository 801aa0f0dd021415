@testable import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import GRDB
import Synchronization
import Testing

/// Two replicas of one fleet write at once: every write lands once, the
/// pool never gives an address twice, and both replicas end identical.
@Suite(.tags(.root), .serialized) struct ConcurrentWriterTests {
    @Test func twoReplicasWritingAtOnceLoseNothing() throws {
        try withReplicaFleet { fleet in
            try fleet.loadSeed()
            let a = try fleet.replica("a"), b = try fleet.replica("b")
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                let (store, prefix) = index == 0 ? (a, "a") : (b, "b")
                for n in 0..<25 {
                    do {
                        let pool = try store.pool("p")
                        _ = try store.insertGuest(ReplicaFixture.guest("\(prefix)\(n)"), on: n % 2 == 0 ? "h1" : "h2", allocateFrom: pool)
                    } catch {
                        failures.withLock { $0.append("\(prefix)\(n): \(error)") }
                    }
                }
            }
            #expect(failures.withLock { $0 } == [])
            for store in [a, b] {
                let guests = try store.guests()
                #expect(guests.count == 50)
                let addresses = try store.addresses().map(\.address)
                #expect(addresses.count == 50 && Set(addresses).count == 50, "an address was given twice: \(addresses.sorted())")
                #expect(Set(guests.flatMap { $0.spec.interfaceAddresses.map(\.address.description) }).count == 50)
            }
            // One entry per guest: no write was appended twice or dropped.
            #expect(try a.appliedLogEntry() == 50 && b.appliedLogEntry() == 50)
            #expect(try ReplicaFixture.dump(fleet.replicaPath("a")) == ReplicaFixture.dump(fleet.replicaPath("b")))
        }
    }

    /// A write whose turn another replica takes between its catch-up and its
    /// append is rolled back, rebased on the other's entry and run again.
    @Test func aLostRaceIsRebasedAndRunAgain() throws {
        try withReplicaFleet { fleet in
            try fleet.loadSeed()
            let a = try fleet.replica("a"), b = try fleet.replica("b")
            var runs = 0
            try a.write { db in
                runs += 1
                if runs == 1 {
                    // B commits first, while A's body runs on the older head.
                    try b.setSetting("placement.policy", "binpack")
                }
                try db.execute(sql: "INSERT INTO settings (key, value) VALUES ('hosts.parallel', ?)", arguments: [String(runs)])
            }
            #expect(runs == 2)
            for store in [a, b] {
                #expect(try store.settings() == ["placement.policy": "binpack", "hosts.parallel": "2"])
                #expect(try store.appliedLogEntry() == 2)
            }
            #expect(try ReplicaFixture.dump(fleet.replicaPath("a")) == ReplicaFixture.dump(fleet.replicaPath("b")))
        }
    }

    /// A write that changes nothing appends nothing to the log.
    @Test func anEmptyWriteAppendsNothing() throws {
        try withReplicaFleet { fleet in
            try fleet.loadSeed()
            let a = try fleet.replica("a")
            try a.write { db in try db.execute(sql: "UPDATE settings SET value = 'x' WHERE key = 'none'") }
            #expect(try a.appliedLogEntry() == 0)
            #expect(try fleet.logKeys().isEmpty)
        }
    }

    /// Deleting a guest cascades to its placement and addresses on the
    /// writer; a replica applies the recorded rows and does not cascade again.
    @Test func cascadedDeletesReplicate() throws {
        try withReplicaFleet { fleet in
            try fleet.loadSeed()
            let a = try fleet.replica("a"), b = try fleet.replica("b")
            _ = try a.insertGuest(ReplicaFixture.guest("g"), on: "h1", allocateFrom: try a.pool("p"))
            #expect(try b.addresses().count == 1)
            try a.deleteGuest("g")
            #expect(try b.guests().isEmpty && b.addresses().isEmpty && b.placements().isEmpty)
            #expect(try ReplicaFixture.dump(fleet.replicaPath("a")) == ReplicaFixture.dump(fleet.replicaPath("b")))
        }
    }
}
