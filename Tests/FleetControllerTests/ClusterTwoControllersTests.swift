@testable import FleetController
import FleetEtcdTestSupport
import FleetProtocol
import FleetSystem
import Foundation
import Synchronization
import Testing

extension ClusterTests {
    /// Two controller processes with their own replicas of one fleet (a
    /// real 3-member etcd) create guests at once on the test cluster.
    @Suite struct TwoControllers {
        @Test func fiftyGuestsFromTwoControllersAtOnceAreAllPlacedWithDistinctAddressesAndIdenticalReplicas() throws {
            try withCluster(hosts: 2) { cluster in
                try withEtcdCluster { etcd in
                    let (c, _) = try ClusterTests.Networking.controllerWithLanPool(cluster)
                    defer { c.connections.closeAll() }
                    let fleet = try ReplicatedFleetUnderTest(cluster: cluster, etcd: etcd)
                    let failures = Mutex<[String]>([])
                    let (environment, known) = (fleet.environment, ["--known-hosts", cluster.state.knownHostsFile])
                    let replicas = [fleet.replica("a"), fleet.replica("b")]
                    DispatchQueue.concurrentPerform(iterations: 2) { index in
                        let name = index == 0 ? "a" : "b"
                        for n in 1...25 {
                            do {
                                let r = try Subprocess.run([TestCluster.vfleetBinary, "guest", "create", "\(name)\(n)", "--template", "busybox", "--pool", "lan",
                                                            "--memory", "32M", "--cpus", "0.05", "--stopped", "--db", replicas[index]] + known, environment: environment)
                                if r.status != 0 { failures.withLock { $0.append("\(name)\(n): \(r.stderrText)") } }
                            } catch {
                                failures.withLock { $0.append("\(name)\(n): \(error)") }
                            }
                        }
                    }
                    #expect(failures.withLock { $0 } == [])
                    let observer = try fleet.observer()
                    let guests = try observer.guests()
                    #expect(guests.count == 50)
                    let addresses = guests.flatMap { $0.spec.addresses ?? [] }
                    #expect(addresses.count == 50 && Set(addresses).count == 50, "an address given twice: \(addresses.sorted())")
                    let placements = try observer.placements()
                    #expect(placements.count == 50)
                    // Each guest exists on the host it is placed on, and only there.
                    var onAgents: [String: [String]] = [:]
                    for h in cluster.state.hosts.map(\.name) {
                        for g in try cluster.agentGuests(c, h) { onAgents[g.name, default: []].append(h) }
                    }
                    for p in placements { #expect(onAgents[p.guest] == [p.host], "\(p.guest): placed on \(p.host), on agents \(onAgents[p.guest] ?? [])") }
                    // Both replicas, written out as standalone stores, dump alike.
                    var dumps: [String] = []
                    for name in ["a", "b"] {
                        let file = cluster.directory + "/\(name)-backup.db"
                        let backup = try fleet.run(["db", "backup", file], controller: name)
                        #expect(backup.status == 0, "\(backup.stderrText)")
                        let dump = try Subprocess.run(["/usr/bin/sqlite3", file, ".dump"])
                        #expect(dump.status == 0, "\(dump.stderrText)")
                        dumps.append(dump.stdoutText)
                    }
                    #expect(dumps[0] == dumps[1], "the replicas differ")
                    #expect(dumps[0].components(separatedBy: "INSERT INTO guests ").count - 1 == 50)
                }
            }
        }
    }
}
