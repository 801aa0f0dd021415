import FleetSystem
import FleetTestSupport
import Foundation
import Synchronization
import Testing

/// Two controllers as real `vfleet` processes, each with its own state
/// directory (its replica), on one etcd: the first loads its new store with
/// `db migrate --to replicated`, then both add address pools at once.
@Suite(.tags(.root), .serialized) struct ControllerProcessTests {
    static var vfleet: String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("vfleet").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return FileManager.default.currentDirectoryPath + "/.build/debug/vfleet"
    }

    @Test func twoControllerProcessesShareOneFleet() throws {
        try withReplicaFleet(snapshotEvery: 7) { fleet in
            let env = fleet.environment()
            let dbA = fleet.replicaPath("a"), dbB = fleet.replicaPath("b")
            let migrate = try Subprocess.run([Self.vfleet, "db", "migrate", "--to", "replicated", "--db", dbA, "--format", "json"], environment: env)
            #expect(migrate.status == 0, "\(migrate.stderrText)")
            let again = try Subprocess.run([Self.vfleet, "db", "migrate", "--to", "replicated", "--db", fleet.directory.file("c/fleet.db")], environment: env)
            #expect(again.status != 0 && again.stderrText.contains("holds a fleet already"), "\(again.stderrText)")

            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                let (db, name) = index == 0 ? (dbA, "a") : (dbB, "b")
                for n in 0..<8 {
                    let cidr = "10.\(index + 60).\(n).0/24"
                    do {
                        let r = try Subprocess.run([Self.vfleet, "net", "pool", "add", "\(name)\(n)", cidr, "--db", db], environment: env)
                        if r.status != 0 { failures.withLock { $0.append("\(name)\(n): \(r.stderrText)") } }
                    } catch {
                        failures.withLock { $0.append("\(name)\(n): \(error)") }
                    }
                }
            }
            #expect(failures.withLock { $0 } == [])
            var dumps: [String] = []
            for (name, db) in [("a", dbA), ("b", dbB)] {
                let file = fleet.directory.file("\(name)-backup.db")
                let backup = try Subprocess.run([Self.vfleet, "db", "backup", file, "--db", db], environment: env)
                #expect(backup.status == 0, "\(backup.stderrText)")
                // The backup runs a fleet on its own (standalone).
                let list = try Subprocess.run([Self.vfleet, "net", "pool", "list", "--db", file, "--format", "json"], environment: fleet.environment(extra: ["VFLEET_STORE": "standalone"]))
                #expect(list.status == 0 && list.stdoutText.components(separatedBy: "\"cidr\"").count - 1 == 16, "\(list.stdoutText) \(list.stderrText)")
                dumps.append(try ReplicaFixture.dump(file))
            }
            #expect(dumps[0] == dumps[1])
            #expect(dumps[0].components(separatedBy: "INSERT INTO address_pools").count - 1 == 16)
        }
    }
}
