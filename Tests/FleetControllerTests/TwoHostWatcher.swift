@testable import FleetController
import FleetProtocol
import Foundation
import Synchronization

/// Asks every test host, over and over while a test runs, whether it runs a
/// guest: records any moment two hosts ran it at once (migration invariant 1).
final class TwoHostWatcher: Sendable {
    private let stop = Atomic<Bool>(false)
    private let violations = Mutex<[String]>([])
    private let samples = Atomic<Int>(0)
    private let done = DispatchSemaphore(value: 0)

    init(cluster: TestCluster, guests: [String]) throws {
        let watcher = try cluster.controller()
        let hosts = cluster.state.hosts.map(\.name)
        Thread.detachNewThread { [self] in
            // One pass asks the hosts in order. Two hosts seen running a guest
            // in one pass prove an overlap only if the one asked first still
            // runs it in the next pass (it ran before and after the other's
            // answer); a guest moving between two questions is no violation.
            func pass() -> [String: [String]] {
                var running: [String: [String]] = [:]
                for h in hosts {
                    guard let list = try? cluster.agentGuests(watcher, h) else { continue }
                    for g in list where g.state == .running && guests.contains(g.name) { running[g.name, default: []].append(h) }
                }
                return running
            }
            var previous = pass()
            while !stop.load(ordering: .relaxed) {
                let current = pass()
                for (g, hs) in previous where hs.count > 1 {
                    if current[g]?.contains(hs[0]) == true {
                        violations.withLock { $0.append("\(g) ran on \(hs.joined(separator: " and "))") }
                    }
                }
                previous = current
                samples.add(1, ordering: .relaxed)
                usleep(10_000)
            }
            watcher.connections.closeAll()
            done.signal()
        }
    }

    /// Stops watching; returns the violations seen and how many times it looked.
    func finish() -> (violations: [String], samples: Int) {
        stop.store(true, ordering: .relaxed)
        done.wait()
        return (violations.withLock { $0 }, samples.load(ordering: .relaxed))
    }
}
