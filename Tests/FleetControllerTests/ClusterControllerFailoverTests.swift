@testable import FleetController
import FleetEtcdTestSupport
import FleetProtocol
import FleetSystem
import Foundation
import Glibc
import Testing

extension ClusterTests {
    /// Two controllers on one replicated store (a real 3-member etcd): the
    /// process running a move or an evacuation is killed with SIGKILL, and
    /// the other controller's `vfleet serve` finishes or rolls back what it
    /// left, with no operator's command. Each guest ends on exactly one
    /// host, running, its data intact.
    @Suite struct ControllerFailover {
        static let numbers = "seq 1 3000 > /data/numbers && md5sum /data/numbers"

        /// The hosts whose agent runs `guest`, and its data file's md5 there.
        static func copies(_ c: Controller, _ cluster: TestCluster, _ guest: String) throws -> [(host: String, md5: String)] {
            try cluster.state.hosts.map(\.name).compactMap { h in
                guard try cluster.agentGuests(c, h).contains(where: { $0.name == guest && $0.state == .running }) else { return nil }
                let r = try c.connections.call(RPC.GuestExec(GuestExecParams(name: guest, argv: ["md5sum", "/data/numbers"])), on: try c.store.host(h))
                return (h, String(r.stdout.prefix(32)))
            }
        }

        /// A move killed at each journal step, one after the other, the
        /// guest going back and forth between host1 and host2.
        @Test func aMoveWhoseControllerIsKilledAtAnyStepIsEndedByTheOthersServe() throws {
            try withCluster(hosts: 2) { cluster in
                try withEtcdCluster { etcd in
                    let c = try cluster.busyboxController()
                    defer { c.connections.closeAll() }
                    var r = Controller.GuestRequest(spec: GuestSpec(name: "kept", template: "busybox", userNamespace: false))
                    r.host = "host1"
                    _ = try c.createGuest(r)
                    let fill = try c.execGuest("kept", argv: ["/bin/sh", "-c", "mkdir -p /data && " + Self.numbers])
                    let md5 = String(fill.stdout.prefix(32))
                    let fleet = try ReplicatedFleetUnderTest(cluster: cluster, etcd: etcd)
                    let serve = try fleet.serve("b")
                    defer { serve.stop() }
                    let observer = try fleet.observer()
                    var at = "host1"
                    for step in MoveStep.allCases.map(\.rawValue) {
                        let to = at == "host1" ? "host2" : "host1"
                        let move = try fleet.start(["guest", "move", "kept", "--to", to], controller: "a",
                                                   env: ["VFLEET_TEST_STOP_AT_STEP": step], log: "move-\(step).log")
                        defer { move.stop(grace: 1) }
                        try #require(ReplicatedFleetUnderTest.waitFrozen(move, within: 60), "\(step): never reached: \(move.output)")
                        kill(move.pid, SIGKILL)
                        move.process.waitUntilExit()
                        #expect(try ReplicatedFleetUnderTest.settle(observer, within: 60), "\(step): still in flight; serve said: \(serve.output)")
                        let op = try #require(try observer.operations().first { $0.guest == "kept" })
                        #expect(op.state == .done || op.state == .rolledBack, "\(step): \(op.state.rawValue) \(op.error ?? "")")
                        let running = try Self.copies(c, cluster, "kept")
                        #expect(running.map(\.host) == [op.state == .done ? to : at], "\(step): \(op.state.rawValue), runs on \(running.map(\.host))")
                        #expect(running.allSatisfy { $0.md5 == md5 }, "\(step): \(running)")
                        #expect(try observer.placement(of: "kept")?.host == running.first?.host, "\(step)")
                        if let host = running.first?.host { at = host }
                    }
                    #expect(serve.waitForOutput(containing: "left by a dead controller process", count: MoveStep.allCases.count, within: 30), "\(serve.output)")
                    #expect(serve.output.components(separatedBy: "left by a dead controller process").count - 1 == MoveStep.allCases.count, "\(serve.output)")
                }
            }
        }

        /// An evacuation of six guests, its controller killed during the
        /// first guest's adopt: the other serve resumes that move, then
        /// carries the evacuation on.
        @Test func anEvacuationWhoseControllerIsKilledIsCarriedOnByTheOthersServe() throws {
            try withCluster(hosts: 3) { cluster in
                try withEtcdCluster { etcd in
                    let c = try cluster.busyboxController()
                    defer { c.connections.closeAll() }
                    var md5: [String: String] = [:]
                    let guests = (1...6).map { "ev\($0)" }
                    for g in guests {
                        var r = Controller.GuestRequest(spec: GuestSpec(name: g, template: "busybox", limits: GuestLimits(memoryBytes: 32 << 20), userNamespace: false))
                        r.host = "host1"
                        _ = try c.createGuest(r)
                        md5[g] = String(try c.execGuest(g, argv: ["/bin/sh", "-c", "mkdir -p /data && echo \(g) >> /data/numbers && " + Self.numbers]).stdout.prefix(32))
                    }
                    let fleet = try ReplicatedFleetUnderTest(cluster: cluster, etcd: etcd)
                    let serve = try fleet.serve("b")
                    defer { serve.stop() }
                    let evacuate = try fleet.start(["host", "evacuate", "host1"], controller: "a",
                                                   env: ["VFLEET_TEST_STOP_AT_STEP": "adopt"], log: "evacuate-a.log")
                    defer { evacuate.stop(grace: 1) }
                    try #require(ReplicatedFleetUnderTest.waitFrozen(evacuate, within: 90), "never reached adopt: \(evacuate.output)")
                    kill(evacuate.pid, SIGKILL)
                    evacuate.process.waitUntilExit()

                    let observer = try fleet.observer()
                    #expect(try ReplicatedFleetUnderTest.settle(observer, within: 120), "still in flight; serve said: \(serve.output)")
                    let evacuation = try #require(try observer.operations().first { $0.kind == "evacuate" })
                    #expect(evacuation.state == .done, "\(evacuation.error ?? "")\n\(serve.output)")
                    #expect(try observer.host("host1").state == .evacuated)
                    for g in guests {
                        let running = try Self.copies(c, cluster, g)
                        #expect(running.count == 1 && running.first?.host != "host1", "\(g) runs on \(running.map(\.host))")
                        #expect(running.first?.md5 == md5[g], "\(g): \(running)")
                        #expect(try observer.placement(of: g)?.host == running.first?.host, "\(g)")
                    }
                    #expect(serve.output.contains("evacuation of host host1 carried on: 5 moved"), "\(serve.output)")
                }
            }
        }
    }
}
