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
