import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

/// `vfleet config get`: the value in force for every setting, and where it
/// comes from (set in the store, the environment, or the default).
@Suite(.tags(.unit)) struct ConfigCommandTests {
    func withStore(_ body: (String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vfleet-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(dir + "/fleet.db")
    }

    @Test func theDocumentedDefaultsAreTheDefaults() throws {
        let fresh = ControllerSettings(knownHostsFile: "/k", identityFile: "/i")
        for d in ControllerSettings.descriptions {
            var s = fresh
            try s.set(d.key, d.defaultValue)
            #expect(s == fresh, "\(d.key): the default \(d.defaultValue) is not what an unset controller uses")
        }
        #expect(ControllerSettings.keys.map(\.0) == ControllerSettings.descriptions.map(\.key))
        #expect(ControllerSettings.keys.allSatisfy { $0.1.hasSuffix(")") && $0.1.contains("(default ") })
    }

    @Test func entriesSayWhereEachValueComesFrom() throws {
        try withStore { db in
            let c = try Controller(dbPath: db)
            let before = try c.configEntries()
            #expect(before.map(\.key) == ControllerSettings.descriptions.map(\.key))
            let memory = try #require(before.first { $0.key == "defaults.memory" })
            #expect(memory.value == "256M" && memory.source == .default)
            try c.setConfig("defaults.memory", "0.5G")
            // As written, read by a later command.
            let later = try Controller(dbPath: db)
            #expect(try later.configEntries(key: "defaults.memory") == [
                ConfigEntry(key: "defaults.memory", value: "0.5G", source: .stored, meaning: memory.meaning),
            ])
            #expect(later.settings.defaultMemoryBytes == 512 << 20)
            let error = #expect(throws: FleetError.self) { try later.configEntries(key: "defaults.mem") }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.hasPrefix("unknown config key defaults.mem (known: placement.policy, ") == true, "\(String(describing: error))")
        }
    }

    /// The command line with this store and no VFLEET_SSH_PERSIST but what a test gives.
    func vfleet(_ args: [String], db: String, env extra: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        var env: [String: String?] = ["VFLEET_SSH_PERSIST": nil]
        for (k, v) in extra { env[k] = v }
        return try TestCluster.vfleet(args + ["--db", db], env: env)
    }

    @Test func theCommandLineShowsTheValuesInForceAsTableAndJSON() throws {
        try withStore { db in
            #expect(try vfleet(["config", "set", "hosts.parallel", "8"], db: db).status == 0)
            let json = try vfleet(["config", "get", "--format", "json"], db: db, env: ["VFLEET_SSH_PERSIST": "5s"])
            #expect(json.status == 0, "\(json.err)")
            let entries = try JSONDecoder().decode([ConfigEntry].self, from: Data(json.out.utf8))
            let byKey = Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0) })
            #expect(byKey["hosts.parallel"]?.value == "8" && byKey["hosts.parallel"]?.source == .stored)
            #expect(byKey["ssh.persist"]?.value == "5s" && byKey["ssh.persist"]?.source == .environment)
            #expect(byKey["placement.policy"]?.value == "spread" && byKey["placement.policy"]?.source == .default)

            let table = try vfleet(["config", "get", "hosts.parallel"], db: db)
            let lines = table.out.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).prefix(3).joined(separator: " ") }
            #expect(lines == ["KEY VALUE SOURCE", "hosts.parallel 8 stored"], "\(table.out)")

            let unknown = try vfleet(["config", "get", "hosts.paralel"], db: db)
            #expect(unknown.status != 0)
            #expect(unknown.err.contains("unknown config key hosts.paralel (known: "), "\(unknown.err)")
            #expect(unknown.out.isEmpty)
        }
    }
}
