@testable import FleetController
import FleetProtocol
import Foundation
import Testing

extension ClusterTests {
    /// Syncs relayed through the controller (`--transport relay`, and
    /// `auto` when the standby cannot be reached from the source).
    @Suite struct ReplicaRelay {
        typealias Faults = ClusterTests.DirectTransferCluster

        /// A relayed sync of a running guest is a consistent point, like a
        /// direct one; of a stopped guest, the very point a direct sync makes.
        @Test func aRelayedSyncMakesTheSamePointAsADirectOne() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                try Replica.counterGuest(c, "rr")
                _ = try c.execGuest("rr", argv: ["/bin/sh", "-c", "for i in $(seq 1 20); do head -c 200000 /dev/urandom > /f$i; done"], timeout: 60)
                let upper = cluster.upper("host1", "rr")
                let point = Replica.point(cluster, "host2", "rr")
                while Replica.counter(upper) < 10 { usleep(100_000) }
                let before = Replica.counter(upper)
                let relayedBefore = LayerRelay.relayedBytes.load(ordering: .relaxed)
                let relayed = try c.replicateGuest("rr", to: "host2", every: nil, transport: .relay)
                let after = Replica.counter(upper)
                #expect(relayed.transport == "relay")
                #expect(LayerRelay.relayedBytes.load(ordering: .relaxed) - relayedBefore > 4_000_000, "the layer did not pass through the controller")
                #expect(relayed.point == 1)
                #expect(try Migration.layerDigest(point) == relayed.digest)
                let atPoint = Replica.counter(point)
                #expect(atPoint >= before && atPoint <= after, "point's counter \(atPoint), before \(before), after \(after)")
                #expect(!FileManager.default.fileExists(atPath: point + "/c-\(atPoint + 1)"))
                #expect((relayed.frozenSeconds ?? 1) < 1, "frozen \(relayed.frozenSeconds ?? -1) s")
                // Thawed: it goes on counting.
                usleep(400_000)
                #expect(Replica.counter(upper) > after)
                // Stopped, the layer holds still: relay and direct make the same point.
                _ = try c.stopGuest("rr", timeout: 5)
                let layer = try Migration.layerDigest(upper)
                let second = try c.syncReplica("rr", transport: .relay)
                let relayedMid = LayerRelay.relayedBytes.load(ordering: .relaxed)
                let third = try c.syncReplica("rr", transport: .direct)
                #expect(third.transport == "direct")
                #expect(LayerRelay.relayedBytes.load(ordering: .relaxed) == relayedMid, "a direct sync passed bytes through the controller")
                #expect(second.point == 2 && third.point == 3)
                #expect(second.digest == layer && third.digest == layer)
                let shown = try c.connections.call(RPC.ReplicaShow(name: "rr", verify: true), on: try c.store.host("host2"))
                #expect(shown.point?.point == 3 && shown.digestNow == layer)
            }
        }

        /// The source cannot reach the standby (a blackhole route in the
        /// source's namespace): direct fails and says so, the standby's
        /// point unchanged; auto (the default, and serve's) relays, and the
        /// output and the guest.sync event say it.
        @Test func autoRelaysWhenTheStandbyIsUnreachableFromTheSource() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                try Replica.counterGuest(c, "ra")
                let first = try c.replicateGuest("ra", to: "host2", every: 60, transport: .direct)
                let (one, two) = (cluster.state.hosts[0], cluster.state.hosts[1])
                #expect(Faults.ip(["-n", one.namespace, "route", "add", "blackhole", two.address + "/32"]) == 0)
                defer { _ = Faults.ip(["-n", one.namespace, "route", "del", "blackhole", two.address + "/32"]) }
                do throws(FleetError) {
                    _ = try c.syncReplica("ra", transport: .direct)
                    Issue.record("a direct sync reached an unreachable standby")
                } catch {
                    #expect(error.code == .unreachable, "\(error.message)")
                }
                let kept = try c.connections.call(RPC.ReplicaShow(name: "ra", verify: true), on: try c.store.host("host2"))
                #expect(kept.point?.point == 1 && kept.digestNow == first.digest)
                let auto = try c.syncReplica("ra")
                print("auto sync with the standby unreachable: \(auto.transport ?? "nil")")
                #expect(auto.point == 2)
                #expect(auto.transport?.hasPrefix("relay (direct failed:") == true, "\(auto.transport ?? "nil")")
                let sync = try #require(try c.events(EventFilter(guest: "ra")).filter { $0.action == "guest.sync" && $0.outcome == .ok }.last)
                #expect(sync.detail?.contains("relay (direct failed:") == true, "\(sync.detail ?? "")")
                #expect(try Migration.layerDigest(Replica.point(cluster, "host2", "ra")) == auto.digest)
                // serve's scheduled syncs take the same way.
                #expect(c.syncDueReplicas(now: Date().timeIntervalSince1970 + 3600).isEmpty)
                #expect(try c.store.replica(of: "ra")?.point == 3)
            }
        }
    }
}
