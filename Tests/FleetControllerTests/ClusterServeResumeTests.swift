@testable import FleetController
import FleetProtocol
import FleetSystem
import FleetTestSupport
import Foundation
import Testing

extension ClusterTests.Serve {
    /// A move whose controller process dies (here at a step, exit 99, like
    /// kill -9) is finished by a running `vfleet serve` with no operator's
    /// command: one running copy, its layer intact, nothing in flight.
    @Test(arguments: ["precopy", "adopt", "start-destination"])
    func serveFinishesAMoveWhoseControllerDiedWithoutAnyCommand(step: String) throws {
        try withCluster(hosts: 2) { cluster in
            let c = try cluster.busyboxController()
            var r = Controller.GuestRequest(spec: GuestSpec(name: "orphan", template: "busybox", userNamespace: false))
            r.host = "host1"
            _ = try c.createGuest(r)
            let fill = try c.execGuest("orphan", argv: ["/bin/sh", "-c", "mkdir -p /data && seq 1 2000 > /data/numbers"])
            #expect(fill.exitCode == 0)
            _ = try c.stopGuest("orphan", timeout: 5)
            let original = try ClusterTests.Migration.layerDigest(cluster.upper("host1", "orphan"))
            _ = try c.startGuest("orphan")

            let serve = try ServeUnderTest.start(cluster, ["--interval", "1h", "--resume-interval", "1s"])
            defer { serve.proc.stop() }
            let killed = try cluster.cli(["guest", "move", "orphan", "--to", "host2"], env: ["VFLEET_TEST_CRASH_AT_STEP": step])
            #expect(killed.status == 99, "\(step): \(killed.err)")

            let deadline = Monotonic.now + 60
            var inFlight = try c.store.inFlight()
            while !inFlight.isEmpty && Monotonic.now < deadline {
                usleep(200_000)
                inFlight = try c.store.inFlight()
            }
            #expect(inFlight.isEmpty, "\(step): still in flight after 60 s: \(inFlight.map(\.step)); serve said: \(serve.proc.output)")
            let fresh = try cluster.controller()
            let running = try cluster.runningOn(fresh, "orphan")
            #expect(running.count == 1, "\(step): runs on \(running)")
            let at = try #require(running.first)
            #expect(try fresh.store.placement(of: "orphan")?.host == at)
            _ = try fresh.stopGuest("orphan", timeout: 5)
            #expect(try ClusterTests.Migration.layerDigest(cluster.upper(at, "orphan")) == original, "\(step)")
            #expect(serve.proc.waitForOutput(containing: "left by a dead controller process", within: 30), "\(serve.proc.output)")
            let events = try cluster.cli(["events", "--format", "json"])
            #expect(events.out.contains("ops.resume"), "\(events.out)")
            fresh.connections.closeAll()
        }
    }
}
