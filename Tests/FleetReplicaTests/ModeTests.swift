@testable import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

/// Moving between modes: the loaded file is a replica (a standalone vfleet
/// refuses it), etcd holding a fleet refuses a second load, and a backup of
/// a replica is a standalone store.
@Suite(.tags(.root), .serialized) struct ModeTests {
    @Test func loadingRefusesASecondFleetAndTheLoadedFileIsAReplica() throws {
        try withReplicaFleet { fleet in
            let loaded = try fleet.loadSeed()
            let standalone = #expect(throws: FleetError.self) { try FleetStore(path: fleet.seedPath, mode: .standalone) }
            #expect(standalone?.message.contains("VFLEET_STORE=replicated") == true)

            let other = try FleetStore(path: fleet.directory.file("other/fleet.db"), mode: .standalone)
            let second = #expect(throws: FleetError.self) { try other.loadIntoEtcd(fleet.settings()) }
            #expect(second?.message.contains("holds a fleet already") == true, "\(second?.message ?? "")")
            // The refused store stays standalone.
            _ = try FleetStore(path: fleet.directory.file("other/fleet.db"), mode: .standalone)

            // The seed file itself goes on as a replica.
            let seed = try FleetStore(path: fleet.seedPath, mode: .replicated(fleet.settings()))
            #expect(try seed.hosts().map(\.name) == ["h1", "h2"])
            #expect(seed.replica?.fleet == loaded.fleet)
        }
    }

    @Test func aStandaloneStoreIsNotTakenForAReplica() throws {
        try withReplicaFleet { fleet in
            try fleet.loadSeed()
            _ = try FleetStore(path: fleet.directory.file("plain/fleet.db"), mode: .standalone)
            let error = #expect(throws: FleetError.self) {
                try FleetStore(path: fleet.directory.file("plain/fleet.db"), mode: .replicated(fleet.settings()))
            }
            #expect(error?.message.contains("is a standalone store") == true)
        }
    }

    @Test func aBackupOfAReplicaIsAStandaloneStore() throws {
        try withReplicaFleet { fleet in
            try fleet.loadSeed()
            let a = try fleet.replica("a"), b = try fleet.replica("b")
            try b.insertGuest(ReplicaFixture.guest("g"), on: "h2")
            let file = fleet.directory.file("backup.db")
            try a.backup(to: file)
            let copy = try FleetStore(path: file, mode: .standalone)
            #expect(try copy.guests().map(\.name) == ["g"] && copy.hosts().count == 2)
            try copy.setSetting("defaults.cpus", "3")
        }
    }

    @Test func theModeComesFromTheEnvironment() throws {
        #expect(try StoreMode.fromEnvironment([:]) == .standalone)
        #expect(try StoreMode.fromEnvironment(["VFLEET_STORE": "standalone"]) == .standalone)
        #expect(throws: FleetError.self) { try StoreMode.fromEnvironment(["VFLEET_STORE": "raft"]) }
        #expect(throws: FleetError.self) { try StoreMode.fromEnvironment(["VFLEET_STORE": "replicated"]) }
        let mode = try StoreMode.fromEnvironment(["VFLEET_STORE": "replicated", "VFLEET_ETCD_ENDPOINTS": "127.0.0.1:2379", "VFLEET_STORE_SNAPSHOT_EVERY": "50"])
        guard case .replicated(let settings) = mode else { Issue.record("not replicated: \(mode)"); return }
        #expect(settings.snapshotEvery == 50 && settings.prefix == "/vfleet")
        #expect(throws: FleetError.self) { try StoreMode.fromEnvironment(["VFLEET_STORE": "replicated", "VFLEET_ETCD_ENDPOINTS": "127.0.0.1:2379", "VFLEET_STORE_SNAPSHOT_EVERY": "1"]) }
    }
}
