@testable import FleetController
import FleetProtocol
import FleetSystem
import FleetTestSupport
import Foundation
import GRDB
import Testing

/// A replicated fleet made by a vfleet whose newest migration was v7 meets
/// this vfleet (v8: fencing tokens): refused until `db upgrade`, which
/// writes one migration entry to the log; every replica runs it there.
@Suite(.tags(.root), .serialized) struct SchemaUpgradeTests {
    /// The fleet in etcd as an older vfleet would have loaded it.
    static func loadOldFleet(_ fleet: ReplicaFixture) throws {
        let path = fleet.replicaPath("old")
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: path)
        try FleetStore.migrator.migrate(queue, upTo: "v7: guest replicas")
        try queue.write { db in
            try db.execute(sql: "INSERT INTO templates (name, digest, fileCount, totalBytes, archivePath, archiveBytes, addedAt) VALUES ('t', 'd', 0, 0, '', 0, 0)")
            try db.execute(sql: "INSERT INTO guests (name, template, spec, memoryBytes, cpuMillis, diskBytes, requires, desiredState, createdAt) VALUES ('g', 't', '{}', 0, 0, 0, '[]', 'running', 0)")
            try db.execute(sql: "INSERT INTO operations (kind, guest, host, params, state, step, owner, createdAt, updatedAt) VALUES ('move', 'g', 'h1', '{}', 'done', 'end', '1@old', 1, 1)")
        }
        _ = try ReplicaBootstrap.load(pool: queue, path: path, settings: fleet.settings())
        try queue.close()
    }

    @Test func aNewerVfleetIsRefusedUntilDbUpgradeThenEveryReplicaRunsTheMigration() throws {
        try withReplicaFleet { fleet in
            try Self.loadOldFleet(fleet)
            // This vfleet refuses the fleet, saying what to run.
            do {
                _ = try fleet.replica("a")
                Issue.record("a fleet lacking v8 was opened")
            } catch let error as FleetError {
                #expect(error.code == .conflict && error.message.contains("v8: fencing tokens") && error.message.contains("vfleet db upgrade"), "\(error.message)")
            }
            // The command line upgrades it (one entry in the log) ...
            let env = fleet.environment()
            let upgrade = try Subprocess.run([ControllerProcessTests.vfleet, "db", "upgrade", "--db", fleet.replicaPath("a"), "--format", "json"], environment: env)
            #expect(upgrade.status == 0, "\(upgrade.stderrText)")
            #expect(upgrade.stdoutText.contains("v8: fencing tokens"), "\(upgrade.stdoutText)")
            let again = try Subprocess.run([ControllerProcessTests.vfleet, "db", "upgrade", "--db", fleet.replicaPath("a")], environment: env)
            #expect(again.status == 0 && again.stdoutText.contains("up to date"), "\(again.stdoutText)\(again.stderrText)")
            // ... which every replica runs in turn: the loader's own file
            // (still at v7) and a new one built from the old snapshot.
            let old = try FleetStore(path: fleet.replicaPath("old"), mode: .replicated(fleet.settings()))
            let fresh = try fleet.replica("b")
            for store in [old, fresh] {
                #expect(try store.operation(1).fence == 0 && store.operation(1).owner == "1@old", "the old operation keeps its row, with no token")
                let op = try store.beginOperation(kind: "move", guest: "g", host: "h1", params: "{}", firstStep: "begin")
                #expect(op.fence > 0)
                try store.finishOperation(op.id!, state: .done)
            }
            // A vfleet that knows only v1..v7 stops at the migration entry.
            var older = DatabaseMigrator()
            for identifier in FleetStore.migrator.migrations.dropLast() { older.registerMigration(identifier) { _ in } }
            try FileManager.default.createDirectory(atPath: (fleet.replicaPath("older") as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            do {
                _ = try Replica.open(path: fleet.replicaPath("older"), settings: fleet.settings(), configuration: Configuration(), migrator: older)
                Issue.record("a vfleet without v8 applied the fleet's migration entry")
            } catch let error as FleetError {
                #expect(error.message.contains("upgrade vfleet on this controller machine"), "\(error.message)")
            }
            let a = try fleet.replica("a")
            #expect(try a.operations().map(\.fence).sorted() == [0, 1, 2])
            for name in ["a", "b", "old"] {
                let file = fleet.directory.file("\(name)-backup.db")
                try FleetStore(path: fleet.replicaPath(name), mode: .replicated(fleet.settings())).backup(to: file)
            }
            let dumps = try ["a", "b", "old"].map { try ReplicaFixture.dump(fleet.directory.file("\($0)-backup.db")) }
            #expect(dumps[0] == dumps[1] && dumps[1] == dumps[2], "the replicas differ after the upgrade")
        }
    }
}
