@testable import FleetController
import FleetSystem
import FleetTestSupport
import Foundation
import Testing

/// bench/control/run.sh: the latency of one store write (a setting
/// changed) standalone and replicated on a 3-member etcd, in one run. Runs
/// only when VFLEET_BENCH_OUT names the JSON file for the samples.
@Suite(.tags(.root), .serialized) struct StoreWriteLatencyBenchmark {
    static let output = ProcessInfo.processInfo.environment["VFLEET_BENCH_OUT"]
    static let writes = Int(ProcessInfo.processInfo.environment["VFLEET_BENCH_WRITES"] ?? "") ?? 300

    @Test(.enabled(if: output != nil)) func storeWriteLatency() throws {
        try withReplicaFleet { fleet in
            try fleet.loadSeed()
            let standalone = try FleetStore(path: fleet.directory.file("standalone/fleet.db"), mode: .standalone)
            let replicated = try fleet.replica("a")
            // A second replica that reads each write back: read-your-writes across replicas.
            let other = try fleet.replica("b")
            var samples: [String: [Double]] = [:]
            for (name, store) in [("standalone", standalone), ("replicated", replicated)] {
                var times: [Double] = []
                for n in 0..<Self.writes {
                    let started = Monotonic.now
                    try store.setSetting("hosts.parallel", String(n % 2 == 0 ? 16 : 8))
                    times.append(Monotonic.now - started)
                }
                samples[name] = times
            }
            var reads: [Double] = []
            for n in 0..<Self.writes / 3 {
                try replicated.setSetting("hosts.parallel", String(n + 1))
                let started = Monotonic.now
                #expect(try other.setting("hosts.parallel") == String(n + 1))
                reads.append(Monotonic.now - started)
            }
            samples["replicated read after another replica's write"] = reads
            let data = try JSONSerialization.data(withJSONObject: samples, options: [.sortedKeys])
            try data.write(to: URL(fileURLWithPath: Self.output!))
        }
    }
}
