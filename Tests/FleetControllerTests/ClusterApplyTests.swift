@testable import FleetController
import FleetProtocol
import Foundation
import GRDB
import Testing

extension ClusterTests {
    @Suite struct ApplyAndBadInput {
        /// Every table's rows, to prove a refused command changed nothing.
        static func snapshot(_ c: Controller) throws -> String {
            let hosts = try c.store.hosts().map { "\($0.name)|\($0.cordoned)|\($0.state)" }
            let guests = try c.store.guests().map { "\($0.name)|\($0.desiredState)" }
            let placements = try c.store.placements().map { "\($0.guest)@\($0.host)" }.sorted()
            let templates = try c.store.templates().map(\.name)
            return (hosts + guests + placements + templates).joined(separator: "\n")
        }

        @Test func applyPlansThenMakesTheFileTrue() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                let file = try FleetFile.parse("""
                guests:
                  - {name: a1, template: busybox, memory: 32M, group: g}
                  - {name: a2, template: busybox, memory: 32M, group: g}
                  - {name: a3, template: busybox, memory: 32M, state: stopped}
                """)
                let plan = try c.plan(file)
                #expect(plan.map(\.action) == [.create, .create, .create])
                #expect(plan[0].host != plan[1].host)
                // Planning alone changes nothing.
                #expect(try c.store.guests().isEmpty)
                let done = c.apply(file, plan: plan)
                #expect(done.allSatisfy { $0.error == nil })
                let placements = Dictionary(uniqueKeysWithValues: try c.store.placements().map { ($0.guest, $0.host) })
                #expect(placements["a1"] == plan[0].host)
                #expect(try cluster.agentGuests(c, placements["a3"]!).first { $0.name == "a3" }?.state == .stopped)
                // Applying the same file again is a no-op; a changed state is applied.
                #expect(try c.plan(file).allSatisfy { $0.action == .unchanged })
                let changed = try FleetFile.parse("guests:\n  - {name: a3, template: busybox, memory: 32M, state: running}\n")
                let p2 = try c.plan(changed)
                #expect(p2.map(\.action) == [.start])
                _ = c.apply(changed, plan: p2)
                #expect(try cluster.agentGuests(c, placements["a3"]!).first { $0.name == "a3" }?.state == .running)
            }
        }

        /// `replicate:` in a fleet file: apply makes the replica (synced on
        /// the standby), a second apply changes nothing, `replicate: false`
        /// drops it there and in the store.
        @Test func applyMakesAndDropsAReplica() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                let replicas = cluster.state.hosts.first { $0.name == "host2" }!.stateDirectory + "/replicas/r1"
                let with = try FleetFile.parse("guests:\n  - {name: r1, template: busybox, host: host1, replicate: {every: 5m}}\n")
                // The command line's dry run shows the replica step and changes nothing.
                let yaml = NSTemporaryDirectory() + "apply-replica-\(getpid()).yaml"
                try "guests:\n  - {name: r1, template: busybox, host: host1, replicate: {every: 5m}}\n".write(toFile: yaml, atomically: true, encoding: .utf8)
                defer { try? FileManager.default.removeItem(atPath: yaml) }
                let dry = try cluster.cli(["apply", "-f", yaml, "--dry-run"])
                #expect(dry.status == 0 && dry.out.contains("replicate  r1 @host1: replicate to host2, synced every 300 s"), "\(dry.out)\(dry.err)")
                #expect(try c.store.guests().isEmpty)
                let plan = try c.plan(with)
                #expect(plan.map(\.action) == [.create, .replicate])
                #expect(plan[1].standby == "host2")
                #expect(try c.store.replica(of: "r1") == nil)
                let done = c.apply(with, plan: plan)
                #expect(done.allSatisfy { $0.error == nil }, "\(done)")
                let replica = try #require(try c.store.replica(of: "r1"))
                #expect(replica.host == "host2" && replica.point == 1 && replica.everySeconds == 300)
                let shown = try c.connections.call(RPC.ReplicaShow(name: "r1", verify: true), on: try c.store.host("host2"))
                #expect(shown.point?.point == 1 && shown.digestNow == replica.digest)
                #expect(try c.plan(with).map(\.action) == [.unchanged])
                let again = try cluster.cli(["apply", "-f", yaml, "--format", "json"])
                #expect(again.status == 0 && again.out.contains("\"unchanged\"") && !again.out.contains("\"replicate\""), "\(again.out)\(again.err)")
                // A changed interval is recorded without a sync.
                let slower = try FleetFile.parse("guests:\n  - {name: r1, template: busybox, host: host1, replicate: {every: 10m}}\n")
                let p2 = try c.plan(slower)
                #expect(p2.map(\.action) == [.replicate])
                #expect(c.apply(slower, plan: p2).allSatisfy { $0.error == nil })
                #expect(try c.store.replica(of: "r1")?.everySeconds == 600 && c.store.replica(of: "r1")?.point == 1)
                let without = try FleetFile.parse("guests:\n  - {name: r1, template: busybox, host: host1, replicate: false}\n")
                let p3 = try c.plan(without)
                #expect(p3.map(\.action) == [.unreplicate])
                #expect(FileManager.default.fileExists(atPath: replicas))
                #expect(c.apply(without, plan: p3).allSatisfy { $0.error == nil })
                #expect(try c.store.replica(of: "r1") == nil)
                #expect(!FileManager.default.fileExists(atPath: replicas))
                #expect(try c.plan(without).map(\.action) == [.unchanged])
            }
        }

        @Test func badInputIsAClearErrorAndTheStoreIsUnchanged() throws {
            try withCluster(hosts: 1) { cluster in
                let c = try cluster.busyboxController()
                _ = try c.createGuest(Controller.GuestRequest(spec: GuestSpec(name: "keep", template: "busybox")))
                let before = try Self.snapshot(c)
                var onUnknownHost = Controller.GuestRequest(spec: GuestSpec(name: "x1", template: "busybox"))
                onUnknownHost.host = "nohost"
                let failing: [(String, () throws -> Void)] = [
                    ("unknown host nohost", { _ = try c.createGuest(onUnknownHost) }),
                    ("unknown template nope", { _ = try c.createGuest(Controller.GuestRequest(spec: GuestSpec(name: "x2", template: "nope"))) }),
                    ("exists already", { _ = try c.createGuest(Controller.GuestRequest(spec: GuestSpec(name: "keep", template: "busybox"))) }),
                    ("unknown guest ghost", { _ = try c.startGuest("ghost") }),
                    ("unknown host nohost", { _ = try c.setCordoned("nohost", true) }),
                    ("enrolled already", {
                        var r = Controller.HostRequest(name: "host1", address: cluster.state.hosts[0].address)
                        r.acceptNewHostKey = true
                        _ = try c.addHost(r)
                    }),
                    ("exists already", { _ = try c.addTemplate(name: "busybox", path: nil, busybox: true) }),
                    ("no host fits", { _ = try c.createGuest(Controller.GuestRequest(spec: GuestSpec(name: "x3", template: "busybox", limits: GuestLimits(memoryBytes: 1 << 50)))) }),
                    ("placed there", { try c.removeHost("host1") }),
                    ("invalid guest name", { _ = try c.createGuest(Controller.GuestRequest(spec: GuestSpec(name: "Bad", template: "busybox"))) }),
                ]
                for (message, action) in failing {
                    do {
                        try action()
                        Issue.record("accepted: expected \(message)")
                    } catch let e as FleetError {
                        #expect(e.message.contains(message), "\(e.message)")
                    }
                    #expect(try Self.snapshot(c) == before)
                }
            }
        }
    }
}
