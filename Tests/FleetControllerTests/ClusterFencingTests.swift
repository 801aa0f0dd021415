@testable import FleetController
import FleetEtcdTestSupport
import FleetProtocol
import FleetSystem
import Foundation
import Glibc
import Testing

extension ClusterTests {
    /// Two controllers on one replicated store (a real 3-member etcd): one
    /// runs a move and freezes mid-move (SIGSTOP: a pause, or a cut-off,
    /// as long as its lease lasts); its lease ends, the other's `vfleet
    /// serve` takes the move over and finishes it. When the first comes
    /// back, the agent refuses its late request (fencing token), logs it,
    /// its journal is closed to it, and the guest is where the second put
    /// it, once, intact.
    @Suite struct Fencing {
        @Test func aControllerFrozenMidMoveIsFencedOffOnceAnotherFinishedIt() throws {
            try withCluster(hosts: 2) { cluster in
                try withEtcdCluster { etcd in
                    let c = try cluster.busyboxController()
                    var r = Controller.GuestRequest(spec: GuestSpec(name: "fenced", template: "busybox", userNamespace: false))
                    r.host = "host1"
                    _ = try c.createGuest(r)
                    #expect(try c.execGuest("fenced", argv: ["/bin/sh", "-c", "mkdir -p /data && seq 1 3000 > /data/numbers"]).exitCode == 0)
                    _ = try c.stopGuest("fenced", timeout: 5)
                    let original = try ClusterTests.Migration.layerDigest(cluster.upper("host1", "fenced"))
                    _ = try c.startGuest("fenced")
                    c.connections.closeAll()

                    let fleet = try ReplicatedFleetUnderTest(cluster: cluster, etcd: etcd)
                    // Controller B: vfleet serve on its own replica.
                    let serve = try fleet.serve("b")
                    defer { serve.stop() }
                    // Controller A: the move, frozen once the pre-copy's journal row is written.
                    let move = try fleet.start(["guest", "move", "fenced", "--to", "host2"], controller: "a",
                                               env: ["VFLEET_TEST_STOP_AT_STEP": "precopy"], log: "move-a.log")
                    defer { kill(move.pid, SIGCONT); move.stop(grace: 5) }
                    try #require(ReplicatedFleetUnderTest.waitFrozen(move, within: 60), "the move never reached the pre-copy: \(move.output)")

                    // B takes the move over once A's lease ended, and finishes it.
                    let observer = try fleet.observer()
                    let op = try #require(try observer.operations().first { $0.guest == "fenced" })
                    let firstToken = op.fence
                    var deadline = Monotonic.now + 90
                    while (try observer.operation(op.id!).state) == .running && Monotonic.now < deadline { usleep(200_000) }
                    let finished = try observer.operation(op.id!)
                    #expect(finished.state == .done, "serve said: \(serve.output)")
                    #expect(finished.fence > firstToken, "the takeover took a newer token")
                    #expect(finished.owner != op.owner)
                    #expect(serve.waitForOutput(containing: "left by a dead controller process", within: 30), "\(serve.output)")

                    // A comes back: its first request (the pre-copy's) is refused and logged.
                    kill(move.pid, SIGCONT)
                    deadline = Monotonic.now + 60
                    while move.process.isRunning && Monotonic.now < deadline { usleep(50_000) }
                    #expect(!move.process.isRunning)
                    #expect(move.process.terminationStatus != 0, "\(move.output)")
                    #expect(move.output.contains("fencing token \(firstToken)"), "\(move.output)")
                    let host2 = cluster.state.hosts.first { $0.name == "host2" }!
                    let fenceLog = (try? String(contentsOfFile: host2.stateDirectory + "/fence.log", encoding: .utf8)) ?? ""
                    #expect(fenceLog.contains("refused") && fenceLog.contains("fencing token \(firstToken)"), "\(fenceLog)")
                    // Its journal is closed to it: nothing written after B's end.
                    let steps = try observer.steps(of: op.id!)
                    #expect(steps.last?.step == "end" && steps.last?.state == "done", "\(steps.map { "\($0.step) \($0.state)" })")
                    #expect(try observer.operation(op.id!).state == .done)

                    // The guest: on host2 only, running, its data intact
                    // (asked of the agents directly).
                    #expect(try cluster.runningOn(c, "fenced") == ["host2"])
                    #expect(try observer.placement(of: "fenced")?.host == "host2")
                    #expect(try !cluster.agentGuests(c, "host1").contains { $0.name == "fenced" })
                    _ = try c.connections.call(RPC.GuestStop(name: "fenced", timeoutSeconds: 5), on: try c.store.host("host2"))
                    #expect(try ClusterTests.Migration.layerDigest(cluster.upper("host2", "fenced")) == original)
                    c.connections.closeAll()
                }
            }
        }

        /// The same with the controller cut off rather than frozen: the
        /// move runs inside a controller machine's network namespace (the
        /// dev cluster's, with the dev cluster's own etcd), whose link goes
        /// down mid-move, so its sessions hang and its keep-alives fail. The
        /// other controller's serve takes over once the lease ended; when
        /// the link comes back, the hung request reaches the agent late and
        /// is refused by its token.
        @Test func aControllerCutOffMidMoveIsFencedOffWhenItsLinkComesBack() throws {
            try withCluster(hosts: 2, controllers: 1) { cluster in
                let c = try cluster.busyboxController()
                defer { c.connections.closeAll() }
                var r = Controller.GuestRequest(spec: GuestSpec(name: "cut", template: "busybox", userNamespace: false))
                r.host = "host1"
                _ = try c.createGuest(r)
                let md5 = String(try c.execGuest("cut", argv: ["/bin/sh", "-c", "mkdir -p /data && seq 1 3000 > /data/numbers && md5sum /data/numbers"]).stdout.prefix(32))
                let fleet = try ReplicatedFleetUnderTest(devCluster: cluster)
                let serve = try fleet.serve("b")
                defer { serve.stop() }
                let machine = try #require(cluster.state.controllers?.first)
                let link = { (state: String) in _ = try? Subprocess.run(["ip", "-n", machine.namespace, "link", "set", "eth0", state]) }
                defer { link("up") }
                // Controller A, on its machine: the move, held at the pre-copy
                // just long enough to cut the link under it.
                let move = try fleet.start(["guest", "move", "cut", "--to", "host2"], controller: "a",
                                           env: ["VFLEET_TEST_STOP_AT_STEP": "precopy"], namespace: machine.namespace, log: "move-cut.log")
                defer { kill(move.pid, SIGCONT); move.stop(grace: 5) }
                try #require(ReplicatedFleetUnderTest.waitFrozen(move, within: 60), "never reached the pre-copy: \(move.output)")
                link("down")
                kill(move.pid, SIGCONT)

                let observer = try fleet.observer()
                let op = try #require(try observer.operations().first { $0.guest == "cut" })
                #expect(try ReplicatedFleetUnderTest.settle(observer, within: 90), "serve said: \(serve.output)")
                let finished = try observer.operation(op.id!)
                #expect(finished.state == .done && finished.fence > op.fence && finished.owner != op.owner, "\(finished)")
                #expect(move.process.isRunning, "the cut-off move should still hang: \(move.output)")

                link("up")
                let deadline = Monotonic.now + 90
                while move.process.isRunning && Monotonic.now < deadline { usleep(100_000) }
                #expect(!move.process.isRunning && move.process.terminationStatus != 0, "\(move.output)")
                #expect(move.output.contains("fencing token \(op.fence)") || move.output.contains("lost its lease"), "\(move.output)")
                // It does not claim the operation is its to finish.
                #expect(!move.output.contains("rollback_pending"), "\(move.output)")
                print("cut-off controller, link back: \(move.output.split(separator: "\n").last ?? "")")
                let steps = try observer.steps(of: op.id!)
                #expect(steps.last?.step == "end" && steps.last?.state == "done", "\(steps.map { "\($0.step) \($0.state)" })")
                let running = try ClusterTests.ControllerFailover.copies(c, cluster, "cut")
                #expect(running.map(\.host) == ["host2"] && running.first?.md5 == md5, "\(running)")
            }
        }
    }
}
