@testable import FleetController
import FleetEtcdTestSupport
import FleetProtocol
import FleetSystem
import Foundation
import Glibc
import Testing

extension ClusterTests {
    /// bench/control/failover.sh: an evacuation of ten guests run by
    /// controller A (its `vfleet host evacuate` and its leading `vfleet
    /// serve`), killed with SIGKILL once three guests have moved; how long
    /// until controller B's serve has taken the operations over (their owner
    /// is B), and the evacuation's whole time against an undisturbed one.
    /// Default lease (5 s) and resume interval (5 s). Runs only when
    /// VFLEET_BENCH_OUT names the JSON file for the samples.
    @Suite struct FailoverBenchmark {
        static let output = ProcessInfo.processInfo.environment["VFLEET_BENCH_OUT"]
        static let runs = Int(ProcessInfo.processInfo.environment["VFLEET_BENCH_RUNS"] ?? "") ?? 3

        /// One evacuation of host1's ten guests: its total time, and with
        /// `kill`, the time from the kill until B owned what A left.
        static func evacuation(kill: Bool) throws -> (total: Double, takeover: Double?) {
            try withCluster(hosts: 3) { cluster in
                try withEtcdCluster { etcd in
                    let c = try cluster.busyboxController()
                    defer { c.connections.closeAll() }
                    for n in 1...10 {
                        var r = Controller.GuestRequest(spec: GuestSpec(name: "ev\(n)", template: "busybox", limits: GuestLimits(memoryBytes: 32 << 20),
                                                                        userNamespace: false))
                        r.host = "host1"
                        _ = try c.createGuest(r)
                        _ = try c.execGuest("ev\(n)", argv: ["/bin/sh", "-c", "mkdir -p /data && seq 1 20000 > /data/numbers"])
                    }
                    let fleet = try ReplicatedFleetUnderTest(cluster: cluster, etcd: etcd, leaseTTL: Int(ReplicationSettings.defaultLeaseTTL))
                    let serveA = try fleet.start(["serve", "--interval", "1h"], controller: "a", env: ["VFLEET_METRICS_ADDRESS": "127.0.0.1:0"], log: "serve-a.log")
                    defer { serveA.stop(grace: 1) }
                    // A leads before B starts.
                    var deadline = Monotonic.now + 30
                    while !serveA.output.contains("this controller leads") && Monotonic.now < deadline { usleep(50_000) }
                    let serveB = try fleet.start(["serve", "--interval", "1h"], controller: "b", env: ["VFLEET_METRICS_ADDRESS": "127.0.0.1:0"], log: "serve-b.log")
                    defer { serveB.stop(grace: 1) }
                    let observer = try fleet.observer()
                    let started = Monotonic.now
                    let evacuate = try fleet.start(["host", "evacuate", "host1"], controller: "a", log: "evacuate-a.log")
                    defer { evacuate.stop(grace: 1) }
                    var takeover: Double?
                    if kill {
                        deadline = Monotonic.now + 120
                        while try observer.placements().filter({ $0.host != "host1" }).count < 3 && Monotonic.now < deadline { usleep(100_000) }
                        let owner = "\(evacuate.pid)@"
                        Glibc.kill(evacuate.pid, SIGKILL)
                        Glibc.kill(serveA.pid, SIGKILL)
                        let killedAt = Monotonic.now
                        while Monotonic.now < killedAt + 60 {
                            let left = try observer.operations().filter { $0.owner.hasPrefix(owner) && $0.state.inFlight }
                            if left.isEmpty { takeover = Monotonic.now - killedAt; break }
                            usleep(100_000)
                        }
                    }
                    guard try ReplicatedFleetUnderTest.settle(observer, within: 300) else { throw ServeTestFailure(description: "evacuation never ended: \(serveB.output)") }
                    if !kill { evacuate.process.waitUntilExit() }
                    let total = Monotonic.now - started
                    let moved = try observer.placements().filter { $0.host != "host1" }.count
                    guard moved == 10 else { throw ServeTestFailure(description: "\(moved) of 10 guests moved; serve B: \(serveB.output)") }
                    return (total, takeover)
                }
            }
        }

        @Test(.enabled(if: output != nil)) func failoverDuringAnEvacuation() throws {
            var samples: [String: [Double]] = ["takeover": [], "evacuation killed": [], "evacuation undisturbed": []]
            for _ in 0..<Self.runs {
                let quiet = try Self.evacuation(kill: false)
                samples["evacuation undisturbed"]!.append(quiet.total)
                let killed = try Self.evacuation(kill: true)
                samples["evacuation killed"]!.append(killed.total)
                samples["takeover"]!.append(try #require(killed.takeover, "B never took the operations over"))
            }
            let data = try JSONSerialization.data(withJSONObject: samples, options: [.sortedKeys])
            try data.write(to: URL(fileURLWithPath: Self.output!))
        }
    }
}
