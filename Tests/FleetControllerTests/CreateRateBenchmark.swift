@testable import FleetController
import FleetEtcdTestSupport
import FleetProtocol
import FleetSystem
import Foundation
import Synchronization
import Testing

extension ClusterTests {
    /// bench/control/creates.sh: guest creates per second on a replicated
    /// fleet from one controller and from two at once (each its own
    /// `vfleet guest create` processes and replica), 20 creates each way
    /// per run (the pool's 126 addresses last three runs), same run. Runs only when VFLEET_BENCH_OUT names the JSON file.
    @Suite struct CreateRateBenchmark {
        static let output = ProcessInfo.processInfo.environment["VFLEET_BENCH_OUT"]
        static let runs = Int(ProcessInfo.processInfo.environment["VFLEET_BENCH_RUNS"] ?? "") ?? 3

        /// Seconds for `perController` creates from each of `controllers`.
        static func creates(_ fleet: ReplicatedFleetUnderTest, controllers: [String], perController: Int, tag: String) throws -> Double {
            let (environment, known) = (fleet.environment, ["--known-hosts", fleet.cluster.state.knownHostsFile])
            let replicas = controllers.map { fleet.replica($0) }
            let failures = Mutex<[String]>([])
            let started = Monotonic.now
            DispatchQueue.concurrentPerform(iterations: controllers.count) { index in
                for n in 1...perController {
                    let name = "\(tag)\(controllers[index])\(n)"
                    let r = try? Subprocess.run([TestCluster.vfleetBinary, "guest", "create", name, "--template", "busybox", "--pool", "lan",
                                                 "--memory", "16M", "--cpus", "0.01", "--stopped", "--db", replicas[index]] + known, environment: environment)
                    if r?.status != 0 { failures.withLock { $0.append("\(name): \(r?.stderrText ?? "did not run")") } }
                }
            }
            let seconds = Monotonic.now - started
            let failed = failures.withLock { $0 }
            guard failed.isEmpty else { throw ServeTestFailure(description: failed.joined(separator: "\n")) }
            return seconds
        }

        @Test(.enabled(if: output != nil)) func createsPerSecondFromOneAndTwoControllers() throws {
            try withCluster(hosts: 2) { cluster in
                try withEtcdCluster { etcd in
                    let (c, _) = try ClusterTests.Networking.controllerWithLanPool(cluster)
                    c.connections.closeAll()
                    let fleet = try ReplicatedFleetUnderTest(cluster: cluster, etcd: etcd)
                    var samples: [String: [Double]] = ["one controller": [], "two controllers": []]
                    for run in 0..<Self.runs {
                        let one = try Self.creates(fleet, controllers: ["a"], perController: 20, tag: "o\(run)")
                        samples["one controller"]!.append(20 / one)
                        let two = try Self.creates(fleet, controllers: ["a", "b"], perController: 10, tag: "t\(run)")
                        samples["two controllers"]!.append(20 / two)
                    }
                    let data = try JSONSerialization.data(withJSONObject: samples, options: [.sortedKeys])
                    try data.write(to: URL(fileURLWithPath: Self.output!))
                }
            }
        }
    }
}
