@testable import FleetController
import FleetProtocol
import FleetSystem
import FleetTree
import Foundation
import Glibc
import Testing

extension ClusterTests {
    /// Replicas through moves and evacuations (Controller+ReplicaRetarget,
    /// Controller+SyncLock), on three test hosts: a guest moved elsewhere
    /// keeps its standby, one moved onto its standby gets a new one, an
    /// evacuated standby hands its replicas on, and a move and a sync of
    /// one guest never overlap.
    @Suite struct ReplicaFollow {
        typealias Failover = ClusterTests.Failover

        static func replicaDirectory(_ cluster: TestCluster, _ host: String, _ guest: String) -> String {
            Failover.host(cluster, host).stateDirectory + "/replicas/\(guest)"
        }

        /// The point's files match the recorded digest, and hold what the
        /// guest wrote on `host` before the sync (its counter of boot `boot`).
        static func checkPoint(_ cluster: TestCluster, on standby: String, _ guest: String, _ summary: Controller.ReplicaSummary,
                               counterAtLeast: Int, boot: Int) throws {
            let point = replicaDirectory(cluster, standby, guest) + "/current/upper"
            #expect(try ClusterTests.Migration.layerDigest(point) == summary.digest, "the point on \(standby) is whole")
            let counted = Failover.counter(point + "/b\(boot)")
            #expect(counted >= counterAtLeast, "the point holds boot \(boot)'s count \(counted) >= \(counterAtLeast)")
            #expect(FileManager.default.fileExists(atPath: point + "/b\(boot)/c-\(counterAtLeast)"))
        }

        /// Moved elsewhere, the guest keeps its standby and the next sync
        /// comes from the new host, whole; moved onto its standby, the
        /// replica goes to another host (full sync, digest), and only then
        /// is the old copy dropped.
        @Test func aReplicaFollowsItsGuestsMoves() throws {
            try withCluster(hosts: 3) { cluster in
                let c = try cluster.busyboxController()
                try Failover.counterGuest(c, "rm", on: "host1")
                while Failover.counter(cluster.upper("host1", "rm") + "/b1") < 3 { usleep(100_000) }
                let first = try c.replicateGuest("rm", to: "host2", every: nil)
                #expect(first.point == 1)

                // Elsewhere: the standby stays, the next sync is from host3.
                let away = try c.moveGuest("rm", to: "host3")
                #expect(away.replica == nil && (away.notes ?? []).isEmpty, "\(away)")
                #expect(try c.replicaSummary("rm")?.host == "host2")
                let upper3 = cluster.upper("host3", "rm")
                while Failover.counter(upper3 + "/b2") < 3 { usleep(100_000) }
                let before = Failover.counter(upper3 + "/b2")
                let second = try c.syncReplica("rm")
                #expect(second.point == 2 && second.host == "host2")
                try Self.checkPoint(cluster, on: "host2", "rm", second, counterAtLeast: before, boot: 2)
                let events = try c.store.events(EventFilter(guest: "rm")).filter { $0.action == "guest.sync" }
                #expect(events.last?.host == "host3" && events.last?.outcome == .ok, "the sync came from host3")

                // Onto its standby: a new standby (never host2), a full
                // sync there, the copy on host2 dropped.
                let onto = try c.moveGuest("rm", to: "host2")
                let followed = try #require(onto.replica, "\(onto)")
                #expect(followed.error == nil && followed.from == "host2" && followed.droppedOld, "\(followed)")
                let standby = try #require(followed.to)
                #expect(standby != "host2")
                #expect(onto.notes?.contains { $0.contains("replica of rm moved from host2 to \(standby)") } == true, "\(onto.notes ?? [])")
                let now = try #require(try c.replicaSummary("rm"))
                #expect(now.host == standby && now.point == followed.point && now.digest == followed.digest && now.lastError == nil)
                try Self.checkPoint(cluster, on: standby, "rm", now, counterAtLeast: before, boot: 2)
                #expect(!FileManager.default.fileExists(atPath: Self.replicaDirectory(cluster, "host2", "rm")), "the old copy is dropped")
                #expect(try cluster.runningOn(c, "rm") == ["host2"])
                // Syncs go on to the new standby.
                let third = try c.syncReplica("rm")
                #expect(third.host == standby && third.point == (now.point ?? 0) + 1)
            }
        }

        /// Moved onto its standby with no other host to take the replica:
        /// the move is done, the replica stays with the reason as its last
        /// error (`guest show` says it); once a host fits again, serve's
        /// schedule re-targets it.
        @Test func aReplicaWithNowhereToGoStaysAndIsRetargetedLater() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                try Failover.counterGuest(c, "nw", on: "host1")
                while Failover.counter(cluster.upper("host1", "nw") + "/b1") < 3 { usleep(100_000) }
                _ = try c.replicateGuest("nw", to: "host2", every: 60)
                _ = try c.setCordoned("host1", true)
                let moved = try c.moveGuest("nw", to: "host2")
                let followed = try #require(moved.replica)
                #expect(followed.to == nil && followed.error?.contains("no standby host for guest nw") == true, "\(followed)")
                #expect(moved.notes?.contains { $0.contains("replica of nw stays on host2") } == true, "\(moved.notes ?? [])")
                #expect(try cluster.runningOn(c, "nw") == ["host2"], "the move itself is done")
                let kept = try #require(try c.replicaSummary("nw"))
                #expect(kept.host == "host2" && kept.lastError?.contains("the guest runs there now") == true, "\(kept)")
                let show = try cluster.cli(["guest", "show", "nw"])
                #expect(show.out.contains("the standby host2 must change"), "\(show.out)")
                // Not due yet: nothing tried.
                #expect(c.syncDueReplicas().isEmpty)
                _ = try c.setCordoned("host1", false)
                let failed = c.syncDueReplicas(now: Date().timeIntervalSince1970 + 120)
                #expect(failed.isEmpty, "\(failed)")
                let now = try #require(try c.replicaSummary("nw"))
                #expect(now.host == "host1" && now.lastError == nil && now.point == 1, "\(now)")
                try Self.checkPoint(cluster, on: "host1", "nw", now, counterAtLeast: 3, boot: 1)
                #expect(!FileManager.default.fileExists(atPath: Self.replicaDirectory(cluster, "host2", "nw")))
            }
        }

        /// Evacuating a standby host re-targets the replicas it holds.
        @Test func evacuatingTheStandbyHostRetargetsItsReplicas() throws {
            try withCluster(hosts: 3) { cluster in
                let c = try cluster.busyboxController()
                try Failover.counterGuest(c, "ev", on: "host1")
                while Failover.counter(cluster.upper("host1", "ev") + "/b1") < 3 { usleep(100_000) }
                _ = try c.replicateGuest("ev", to: "host2", every: nil)
                let report = try c.evacuate("host2", dryRun: false)
                let moved = try #require(report.replicas?.first, "\(report)")
                #expect(report.replicas?.count == 1)
                #expect(moved.guest == "ev" && moved.from == "host2" && moved.to == "host3" && moved.droppedOld && moved.error == nil, "\(moved)")
                let now = try #require(try c.replicaSummary("ev"))
                #expect(now.host == "host3" && now.point == 1)
                try Self.checkPoint(cluster, on: "host3", "ev", now, counterAtLeast: 3, boot: 1)
                #expect(!FileManager.default.fileExists(atPath: Self.replicaDirectory(cluster, "host2", "ev")))
                #expect(try c.store.host("host2").state == .evacuated)
                // The command line says it.
                _ = try c.restore("host2", dryRun: false)
                _ = try c.replicateGuest("ev", to: "host2", every: nil)
                let cli = try cluster.cli(["host", "evacuate", "host2"])
                #expect(cli.status == 0 && cli.out.contains("replica of ev moved from host2 to host3"), "\(cli.out)\(cli.err)")
                // A move onto the standby whose controller died after the
                // placement switch: `ops resume` finishes it, and the
                // replica follows there too (host2 is evacuated: host1).
                let killed = try cluster.cli(["guest", "move", "ev", "--to", "host3"], env: ["VFLEET_TEST_CRASH_AT_STEP": "cleanup-source"])
                #expect(killed.status == 99, "\(killed.err)")
                #expect(try c.store.placement(of: "ev")?.host == "host3" && (try c.replicaSummary("ev"))?.host == "host3")
                let resumed = try c.resumeOperations(nil)
                #expect(resumed.count == 1 && resumed.first?.outcome == "done", "\(resumed)")
                #expect(resumed.first?.detail.contains("replica of ev moved from host3 to host1") == true, "\(resumed)")
                let after = try #require(try c.replicaSummary("ev"))
                #expect(after.host == "host1" && after.lastError == nil)
                try Self.checkPoint(cluster, on: "host1", "ev", after, counterAtLeast: 3, boot: 1)
                #expect(!FileManager.default.fileExists(atPath: Self.replicaDirectory(cluster, "host3", "ev")))
            }
        }

        /// A move of a guest whose sync runs waits for the sync to end; a
        /// sync of a guest whose move runs is refused.
        @Test func aMoveAndASyncOfOneGuestNeverOverlap() throws {
            try withCluster(hosts: 3) { cluster in
                let c = try cluster.busyboxController()
                // 200 MB of its own: a sync or a move takes a while.
                var r = Controller.GuestRequest(spec: GuestSpec(name: "ms", template: "busybox", initCommand: ["/bin/sh", "-c",
                    "dd if=/dev/urandom of=/big.tmp bs=1M count=200 2>/dev/null; mv /big.tmp /big; while :; do sleep 1; done"]))
                r.host = "host1"
                _ = try c.createGuest(r)
                if try c.connections.call(RPC.GuestStatus(name: "ms"), on: try c.store.host("host1")).state != .running { _ = try c.startGuest("ms") }
                for _ in 0..<300 where !FileManager.default.fileExists(atPath: cluster.upper("host1", "ms") + "/big") { usleep(100_000) }
                try #require(FileManager.default.fileExists(atPath: cluster.upper("host1", "ms") + "/big"))
                _ = try c.replicateGuest("ms", to: "host2", every: nil)
                // Rewritten: the next sync sends 200 MB again.
                _ = try Subprocess.run(["dd", "if=/dev/urandom", "of=" + cluster.upper("host1", "ms") + "/big", "bs=1M", "count=200", "conv=notrunc"])

                // A sync runs; a move meanwhile waits for it.
                let syncing = Thread { _ = try? c.syncReplica("ms") }
                syncing.start()
                var sync: StoredOperation?
                for _ in 0..<200 where sync == nil {
                    sync = try c.store.operationInFlight(guest: "ms")
                    if sync == nil { usleep(10_000) }
                }
                let syncOp = try #require(sync, "the sync's operation is in flight")
                #expect(syncOp.kind == Controller.syncKind)
                let moved = try c.moveGuest("ms", to: "host3")
                let syncEnd = try #require(try c.store.steps(of: syncOp.id!).last)
                #expect(syncEnd.state == "done", "the sync ended done: \(syncEnd)")
                let move = try c.store.operation(moved.operation)
                #expect(move.createdAt >= syncEnd.at, "the move began (\(move.createdAt)) after the sync ended (\(syncEnd.at))")
                #expect(try c.replicaSummary("ms")?.point == 2)

                // A move runs; a sync meanwhile is refused.
                let moving = Thread { _ = try? c.moveGuest("ms", to: "host1") }
                moving.start()
                var op: StoredOperation?
                for _ in 0..<200 where op == nil {
                    op = try c.store.operationInFlight(guest: "ms")
                    if op == nil { usleep(10_000) }
                }
                let moveOp = try #require(op)
                #expect(moveOp.kind == "move")
                do throws(FleetError) {
                    _ = try c.syncReplica("ms")
                    Issue.record("a sync ran during the move")
                } catch {
                    #expect(error.code == .conflict && error.message.contains("a sync never runs during a move"), "\(error.message)")
                }
                while (try c.store.operation(moveOp.id!)).state.inFlight { usleep(50_000) }
                #expect(try c.store.operation(moveOp.id!).state == .done)
                #expect(try cluster.runningOn(c, "ms") == ["host1"])
            }
        }
    }
}
