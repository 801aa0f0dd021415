@testable import FleetController
import FleetProtocol
import Foundation
import Testing

extension ClusterTests {
    /// The audit trail of real commands on the test cluster: a guest
    /// created and moved by `vfleet` records who, why, where and which
    /// operation; `guest show` and `ops show` point to those events.
    @Suite struct Events {
        @Test func createAndMoveRecordOperatorReasonAndOperation() throws {
            try withCluster(hosts: 2) { cluster in
                _ = try cluster.busyboxController()
                let create = try cluster.cli(["guest", "create", "ev1", "--template", "busybox", "--host", "host1", "--no-userns",
                                              "--reason", "deploy ev1"])
                #expect(create.status == 0, "\(create.err)")
                let move = try cluster.cli(["guest", "move", "ev1", "--to", "host2", "--reason", "drain host1", "--format", "json"])
                #expect(move.status == 0, "\(move.err)")
                let moved = try JSONDecoder().decode(MoveResult.self, from: Data(move.out.utf8))
                let refused = try cluster.cli(["guest", "move", "ev1", "--to", "host2", "--reason", "again"])
                #expect(refused.status != 0)

                let out = try cluster.cli(["events", "--guest", "ev1", "--format", "json"])
                #expect(out.status == 0, "\(out.err)")
                let events = try JSONDecoder().decode([StoredEvent].self, from: Data(out.out.utf8))
                #expect(events.map(\.action) == ["guest.create", "guest.move", "guest.move"])
                let me = OperatorIdentity.current()
                #expect(events.allSatisfy { $0.user == me.user && $0.machine == me.machine })
                guard events.count == 3 else { return }
                let (c, m, r) = (events[0], events[1], events[2])
                #expect(c.reason == "deploy ev1" && c.host == "host1" && c.template == "busybox" && c.outcome == .ok)
                #expect(m.reason == "drain host1" && m.host == "host1" && m.toHost == "host2" && m.outcome == .ok)
                #expect(m.operation == moved.operation && m.seconds > 0)
                #expect(r.outcome == .failed && r.error?.contains("is on host2 already") == true, "\(String(describing: r.error))")
                // The store's journal agrees on the operation.
                let op = try cluster.controller().operation(moved.operation).operation
                #expect(op.kind == "move" && op.guest == "ev1" && op.state == .done)

                let hostEvents = try cluster.cli(["events", "--host", "host2", "--format", "json"])
                let onHost2 = try JSONDecoder().decode([StoredEvent].self, from: Data(hostEvents.out.utf8))
                #expect(onHost2.map(\.action) == ["host.add", "guest.move", "guest.move"], "\(onHost2.map(\.action))")

                let show = try cluster.cli(["guest", "show", "ev1"])
                #expect(show.out.contains("events    vfleet events --guest ev1"), "\(show.out)")
                #expect(show.out.contains("guest.move") && show.out.contains("reason: drain host1"), "\(show.out)")
                let opShow = try cluster.cli(["ops", "show", String(moved.operation)])
                #expect(opShow.out.contains("events    vfleet events --operation \(moved.operation)"), "\(opShow.out)")
                #expect(opShow.out.contains("reason: drain host1"), "\(opShow.out)")

                // Stopped behind the controller's back, started again by
                // reconcile: its start is an event that names the command.
                let controller = try cluster.controller()
                _ = try controller.connections.call(RPC.GuestStop(name: "ev1", timeoutSeconds: 5), on: try controller.host("host2"))
                let reconcile = try cluster.cli(["reconcile", "--reason", "nightly"])
                #expect(reconcile.status == 0, "\(reconcile.err)")
                let after = try controller.events(EventFilter(afterId: events.last?.id))
                #expect(after.map(\.action) == ["guest.start", "fleet.reconcile"], "\(after.map(\.action))")
                #expect(after.first?.command == "fleet.reconcile" && after.first?.guest == "ev1" && after.first?.host == "host2")
                #expect(after.allSatisfy { $0.reason == "nightly" && $0.outcome == .ok })
            }
        }
    }
}
