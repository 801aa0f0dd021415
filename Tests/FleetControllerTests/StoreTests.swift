@testable import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import GRDB
import Testing

@Suite(.tags(.unit)) struct StoreTests {
    static func tempDB() -> String {
        NSTemporaryDirectory() + "vfleet-store-\(UUID().uuidString)/fleet.db"
    }

    static func host(_ name: String) -> StoredHost {
        StoredHost(name: name, address: "10.0.0.1", port: 22, user: "root", identityFile: "/k", labels: ["zone": "a"],
                   reservedMemoryBytes: 0, facts: nil, hostKeyFingerprint: "SHA256:x", addedAt: 1, lastSeenAt: nil)
    }

    @Test func migratesAndRoundTrips() throws {
        let path = Self.tempDB()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        do {
            let store = try FleetStore(path: path)
            try store.insertHost(Self.host("h1"))
            try store.insertTemplate(StoredTemplate(name: "t", digest: "d", fileCount: 1, totalBytes: 2, archivePath: "/a", archiveBytes: 3, addedAt: 1))
            let g = StoredGuest(name: "g1", template: "t", spec: GuestSpec(name: "g1", template: "t"), memoryBytes: 1, cpuMillis: 2,
                                diskBytes: 3, groupName: "web", requires: ["zone": "a"], desiredState: .running, createdAt: 1)
            try store.insertGuest(g, on: "h1")
        }
        // Reopening runs the migrator again: nothing is lost, nothing re-applied.
        let store = try FleetStore(path: path)
        #expect(try store.host("h1").labels == ["zone": "a"])
        #expect(try store.guest("g1").requires == ["zone": "a"])
        #expect(try store.placement(of: "g1")?.host == "h1")
        #expect(throws: FleetError.self) { try store.removeHost("h1") }
        try store.deleteGuest("g1")
        #expect(try store.placement(of: "g1") == nil)
        try store.removeHost("h1")
    }

    /// A store made before v4 (an operation rolled back, one in flight)
    /// gains the reason column; a rollback_pending operation still holds its
    /// guest, in the unique index too.
    @Test func v4KeepsOldOperationsAndARollbackPendingOneHoldsItsGuest() throws {
        let path = Self.tempDB()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            let queue = try DatabaseQueue(path: path)
            try FleetStore.migrator.migrate(queue, upTo: "v3: address pools and addresses")
            try queue.write { db in
                for (guest, state) in [("old", "rolled_back"), ("busy", "running")] {
                    try db.execute(sql: "INSERT INTO operations (kind, guest, host, params, state, step, owner, createdAt, updatedAt) VALUES ('move', ?, 'h1', '{}', ?, 'adopt', '1@x', 1, 1)",
                                   arguments: [guest, state])
                }
            }
        }
        let store = try FleetStore(path: path)
        let ops = try store.operations()
        #expect(ops.map(\.guest) == ["busy", "old"] && ops.allSatisfy { $0.reason == nil })
        let busy = try #require(ops.first)
        #expect(try store.claimOperation(busy.id!, from: "1@x"))
        try store.finishOperation(busy.id!, state: .rollbackPending, error: "rollback not finished: host h2 unreachable", reason: "failed at adopt: x")
        #expect(try store.inFlight().map(\.id) == [busy.id])
        #expect(try store.operationInFlight(guest: "busy")?.state == .rollbackPending)
        #expect(throws: FleetError.self) { _ = try store.beginOperation(kind: "move", guest: "busy", host: "h1", params: "{}", firstStep: "begin") }
        // Bypassing the check, the index still refuses a second one.
        #expect(throws: (any Error).self) {
            try store.write { db in
                try db.execute(sql: "INSERT INTO operations (kind, guest, host, params, state, step, owner, createdAt, updatedAt) VALUES ('move', 'busy', 'h1', '{}', 'running', 'begin', '1@x', 1, 1)")
            }
        }
        // Finished later: the reason stays, the error goes.
        try store.finishOperation(busy.id!, state: .rolledBack)
        let done = try store.operation(busy.id!)
        #expect(done.state == .rolledBack && done.reason == "failed at adopt: x" && done.error == nil)
        #expect(try store.inFlight().isEmpty)
    }

    @Test func duplicatesAndUnknownsAreClearErrors() throws {
        let store = try FleetStore(inMemory: ())
        try store.insertHost(Self.host("h1"))
        do throws(FleetError) { try store.insertHost(Self.host("h1")); Issue.record("duplicate accepted") } catch { #expect(error.message.contains("enrolled already")) }
        do throws(FleetError) { _ = try store.host("nope"); Issue.record("unknown accepted") } catch {
            #expect(error.code == .notFound)
            #expect(error.message.contains("unknown host nope"))
            #expect(error.message.contains("h1"))
        }
        do throws(FleetError) { _ = try store.guest("ghost"); Issue.record("unknown accepted") } catch { #expect(error.message.contains("unknown guest ghost")) }
        do throws(FleetError) { _ = try store.template("tt"); Issue.record("unknown accepted") } catch { #expect(error.message.contains("unknown template tt")) }
    }

    @Test func backupWhileInUseIsConsistent() throws {
        let path = Self.tempDB()
        let dir = (path as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try FleetStore(path: path)
        for i in 0..<50 { try store.insertHost(Self.host("h\(i)")) }
        // A writer keeps going while the backup runs.
        let writer = Thread {
            for i in 50..<400 { try? store.insertHost(Self.host("h\(i)")) }
        }
        writer.start()
        let backup = dir + "/backup.db"
        try store.backup(to: backup)
        let copy = try FleetStore(path: backup)
        let n = try copy.hosts().count
        #expect(n >= 50 && n <= 400)
        // The copy is a complete, migrated store.
        #expect(try copy.guests().isEmpty)
        #expect(throws: FleetError.self) { try store.backup(to: backup) }
    }

    @Test func settingsAreValidated() throws {
        var s = ControllerSettings(knownHostsFile: "/k", identityFile: "/i")
        try s.set("placement.policy", "binpack")
        #expect(s.placementPolicy == .binpack)
        #expect(throws: FleetError.self) { try s.set("placement.policy", "random") }
        #expect(throws: FleetError.self) { try s.set("no.such.key", "1") }
        try s.set("defaults.memory", "128M")
        #expect(s.defaultMemoryBytes == 128 << 20)
    }
}
