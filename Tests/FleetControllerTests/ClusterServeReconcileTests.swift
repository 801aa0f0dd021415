@testable import FleetController
import FleetProtocol
import FleetSystem
import Foundation
import Testing

extension ClusterTests {
    /// `vfleet serve` reconciles on its schedule: a guest stopped behind
    /// the controller's back runs again without a command, and a fleet in
    /// order is left without an event.
    @Suite struct ServeReconcile {
        @Test func aGuestStoppedBehindTheControllersBackRunsAgain() throws {
            try withCluster(hosts: 1) { cluster in
                let c = try cluster.busyboxController()
                defer { c.connections.closeAll() }
                var r = Controller.GuestRequest(spec: GuestSpec(name: "steady", template: "busybox", userNamespace: false))
                r.host = "host1"
                _ = try c.createGuest(r)
                let serve = try ServeUnderTest.start(cluster, ["--interval", "1h", "--reconcile-interval", "1s"])
                defer { serve.proc.stop() }
                // Stopped at the agent, not through vfleet: desired is still running.
                _ = try c.connections.call(RPC.GuestStop(name: "steady", timeoutSeconds: 5), on: try c.store.host("host1"))
                let deadline = Monotonic.now + 30
                while try !cluster.runningOn(c, "steady").contains("host1") && Monotonic.now < deadline { usleep(200_000) }
                #expect(try cluster.runningOn(c, "steady") == ["host1"], "serve said: \(serve.proc.output)")
                #expect(serve.proc.output.contains("reconcile: start guest steady on host1"), "\(serve.proc.output)")
                // In order now: more rounds, no more events.
                sleep(3)
                let events = try c.store.events(EventFilter()).filter { $0.action == "fleet.reconcile" }
                #expect(events.count == 1, "\(events.map(\.detail))")
            }
        }
    }
}
