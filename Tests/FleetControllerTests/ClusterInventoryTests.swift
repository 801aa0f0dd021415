import FleetController
import FleetProtocol
import Foundation
import Glibc
import Testing

extension ClusterTests {
    @Suite struct Inventory {
        @Test func inventoryAgreesWithTheAgentsAndSurvivesADeadHost() throws {
            try withCluster(hosts: 3) { cluster in
                let c = try cluster.busyboxController()
                for i in 1...6 {
                    _ = try c.createGuest(Controller.GuestRequest(spec: GuestSpec(name: "inv\(i)", template: "busybox", limits: GuestLimits(memoryBytes: 32 << 20))))
                }
                _ = try c.stopGuest("inv6", timeout: 5)
                let report = try c.inventory()
                #expect(report.hosts.allSatisfy { $0.reachable })
                #expect(report.summary.guests == 6)
                #expect(report.summary.runningGuests == 5)
                #expect(report.summary.driftedGuests == 0)
                // Each guest's actual state and usage are what its agent says.
                for g in report.guests {
                    let agent = try cluster.agentGuests(c, try #require(g.host)).first { $0.name == g.name }
                    #expect(agent?.state.rawValue == g.actualState)
                    #expect(g.limits.memoryBytes == 32 << 20)
                    if g.actualState == "running" { #expect(g.memoryBytes != nil && g.processes ?? 0 >= 1) }
                }
                // JSON round trip, as scripts read it.
                let json = try InventoryRenderer.json(report)
                let decoded = try JSONDecoder().decode(InventoryReport.self, from: Data(json.utf8))
                #expect(decoded == report)

                // Kill one host's sshd: a new controller finds it unreachable fast and reports the others.
                let dead = cluster.state.hosts[1]
                kill(dead.sshdPid, SIGKILL)
                let fresh = try cluster.controller()
                let started = Date()
                let after = try fresh.inventory()
                #expect(Date().timeIntervalSince(started) < fresh.settings.connectTimeout + 2)
                let deadReport = try #require(after.hosts.first { $0.name == dead.name })
                #expect(!deadReport.reachable)
                #expect(deadReport.error?.contains("unreachable") == true)
                #expect(after.hosts.filter(\.reachable).count == 2)
                let onDead = after.guests.filter { $0.host == dead.name }
                #expect(onDead.allSatisfy { $0.actualState == "unknown" })
                #expect(after.guests.filter { $0.host != dead.name && $0.actualState == "running" }.count
                        == report.guests.filter { $0.host != dead.name && $0.actualState == "running" }.count)
                let table = InventoryRenderer.table(after)
                #expect(table.contains("UNREACHABLE"))
            }
        }

        @Test func reconcileRestartsAGuestStoppedBehindTheControllersBack() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                let (_, host, _) = try c.createGuest(Controller.GuestRequest(spec: GuestSpec(name: "rec1", template: "busybox")))
                // Stopped directly on the host, not through the controller.
                _ = try c.connections.call(RPC.GuestStop(name: "rec1", timeoutSeconds: 5), on: host)
                // A guest the controller does not know, made on the host directly.
                _ = try c.connections.call(RPC.GuestCreate(spec: GuestSpec(name: "stray", template: "busybox")), on: host)
                let drift = try c.inventory()
                #expect(drift.guests.first { $0.name == "rec1" }?.drift == true)
                #expect(drift.hosts.first { $0.name == host.name }?.unknownGuests == ["stray"])

                let dry = try c.reconcile(dryRun: true)
                #expect(dry.contains { $0.kind == .start && $0.guest == "rec1" && !$0.done })
                #expect(try cluster.agentGuests(c, host.name).first { $0.name == "rec1" }?.state == .stopped)

                let actions = try c.reconcile(dryRun: false)
                #expect(actions.contains { $0.kind == .start && $0.guest == "rec1" && $0.done })
                #expect(actions.contains { $0.kind == .reportUnknown && $0.guest == "stray" })
                let after = try cluster.agentGuests(c, host.name)
                #expect(after.first { $0.name == "rec1" }?.state == .running)
                // Reported, never deleted.
                #expect(after.contains { $0.name == "stray" })
            }
        }

        @Test func reconcileRecreatesAGuestMissingOnItsHost() throws {
            try withCluster(hosts: 1) { cluster in
                let c = try cluster.busyboxController()
                let (_, host, _) = try c.createGuest(Controller.GuestRequest(spec: GuestSpec(name: "gone", template: "busybox")))
                _ = try c.connections.call(RPC.GuestDestroy(name: "gone", force: true), on: host)
                let actions = try c.reconcile(dryRun: false)
                #expect(actions.contains { $0.kind == .create && $0.guest == "gone" && $0.done })
                #expect(try cluster.agentGuests(c, host.name).first { $0.name == "gone" }?.state == .running)
            }
        }
    }
}
