@testable import FleetController
import FleetProtocol
import FleetTree
import Foundation
import Glibc
import Testing

extension ClusterTests {
    /// Replicas on the test cluster: syncs from a running guest to a
    /// standby host, faults mid-sync, and the freeze's thaw rule.
    @Suite struct Replica {
        typealias Faults = ClusterTests.DirectTransferCluster

        /// A guest whose init writes a counter file (and one file per
        /// count) every 100 ms.
        static func counterGuest(_ c: Controller, _ name: String) throws {
            let script = "i=0; while :; do i=$((i+1)); echo $i > /counter.tmp; mv /counter.tmp /counter; echo $i > /c-$i; sleep 0.1; done"
            var r = Controller.GuestRequest(spec: GuestSpec(name: name, template: "busybox", initCommand: ["/bin/sh", "-c", script]))
            r.host = "host1"
            _ = try c.createGuest(r)
            if try c.connections.call(RPC.GuestStatus(name: name), on: try c.store.host("host1")).state != .running {
                _ = try c.startGuest(name)
            }
        }

        static func counter(_ upper: String) -> Int {
            Int(((try? String(contentsOfFile: upper + "/counter", encoding: .utf8)) ?? "0").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        }

        static func point(_ cluster: TestCluster, _ host: String, _ guest: String) -> String {
            cluster.state.hosts.first { $0.name == host }!.stateDirectory + "/replicas/\(guest)/current/upper"
        }

        /// The point holds what the guest wrote before the sync, not what it
        /// wrote after, and its every file matches the recorded digest.
        @Test func aSyncOfARunningGuestIsAConsistentPoint() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                try Self.counterGuest(c, "rc")
                let upper = cluster.upper("host1", "rc")
                while Self.counter(upper) < 10 { usleep(100_000) }
                let before = Self.counter(upper)
                let first = try c.replicateGuest("rc", to: "host2", every: nil)
                usleep(400_000)
                let after = Self.counter(upper)
                let point = Self.point(cluster, "host2", "rc")
                #expect(first.point == 1)
                #expect(try ClusterTests.Migration.layerDigest(point) == first.digest)
                let atPoint = Self.counter(point)
                #expect(atPoint >= before && atPoint < after, "point's counter \(atPoint), before \(before), after \(after)")
                #expect(FileManager.default.fileExists(atPath: point + "/c-\(before)"))
                #expect(!FileManager.default.fileExists(atPath: point + "/c-\(after)"))
                #expect(!FileManager.default.fileExists(atPath: point + "/c-\(atPoint + 1)"))
                #expect((first.frozenSeconds ?? 1) < 1, "frozen \(first.frozenSeconds ?? -1) s")
                print("replica sync: frozen \(String(format: "%.1f", (first.frozenSeconds ?? 0) * 1000)) ms")
                // The guest was thawed: it goes on counting.
                usleep(400_000)
                #expect(Self.counter(upper) > after)
                // The next sync: point 2, the old point gone.
                let second = try c.syncReplica("rc")
                #expect(second.point == 2)
                #expect(try ClusterTests.Migration.layerDigest(point) == second.digest)
                let dir = cluster.state.hosts[1].stateDirectory + "/replicas/rc"
                #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == [".lock", "current", "p-2"])
                #expect(try c.replicaSummary("rc")?.host == "host2")
                let events = try c.store.events(EventFilter(guest: "rc")).filter { $0.action == "guest.sync" }
                #expect(events.count == 2 && events.allSatisfy { $0.outcome == .ok })
                // The command line: a sync now, guest show (table and JSON), then the replica dropped.
                let now = try cluster.cli(["guest", "replicate", "rc", "--sync-now"])
                #expect(now.status == 0 && now.out.contains("point 3 on host2"), "\(now.out)\(now.err)")
                let table = try cluster.cli(["guest", "show", "rc"])
                #expect(table.out.contains("replica   on host2, point 3 taken"), "\(table.out)")
                let json = try cluster.cli(["guest", "show", "rc", "--format", "json"])
                let view = try JSONDecoder().decode(Controller.GuestView.self, from: Data(json.out.utf8))
                #expect(view.replica?.host == "host2" && view.replica?.point == 3 && (view.replica?.ageSeconds ?? 99) < 30)
                #expect((view.replica?.totalBytes ?? 0) > 0)
                let dropped = try cluster.cli(["guest", "replicate", "rc", "--no-replicate"])
                #expect(dropped.status == 0, "\(dropped.err)")
                #expect(!FileManager.default.fileExists(atPath: dir))
                #expect(try c.replicaSummary("rc") == nil)
            }
        }

        /// Killing the standby's agent, then the source's, mid-sync leaves
        /// the standby's previous point whole (its tree still has the
        /// digest it was made with); the next sync succeeds. Direct, and
        /// relayed through the controller (its bulk channels' agents killed).
        @Test(arguments: [LayerTransportMode.direct, .relay]) func agentsKilledMidSyncKeepThePreviousPoint(transport: LayerTransportMode) throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                try Self.counterGuest(c, "rk")
                let write = "for i in $(seq 1 40); do head -c 4000000 /dev/urandom > /f$i; done"
                _ = try c.execGuest("rk", argv: ["/bin/sh", "-c", write], timeout: 120)
                let first = try c.replicateGuest("rk", to: "host2", every: nil)
                let kept = try #require(first.digest)
                for victim in [cluster.state.hosts[1], cluster.state.hosts[0]] {
                    _ = try c.execGuest("rk", argv: ["/bin/sh", "-c", write], timeout: 120)
                    let replicas = cluster.state.hosts[1].stateDirectory + "/replicas/rk"
                    let fired = CutSwitch()
                    // A dead sync's next point stays until the next sync removes it: not this sync's.
                    let earlier = Set((try? FileManager.default.contentsOfDirectory(atPath: replicas)) ?? [])
                    let watcher = Thread {
                        for _ in 0..<5000 {
                            let next = ((try? FileManager.default.contentsOfDirectory(atPath: replicas)) ?? []).first { $0.hasPrefix(".next-") && !earlier.contains($0) }
                            // Mid-stream: some of the rewritten files are in the next point.
                            if let next, Self.newFiles(replicas + "/" + next + "/upper", than: replicas + "/current/upper") >= 3, fired.fire() {
                                for pid in Faults.descendants(of: victim.sshdPid) where Faults.isAgent(pid) { kill(pid, SIGKILL) }
                                return
                            }
                            usleep(2000)
                        }
                    }
                    watcher.start()
                    do throws(FleetError) {
                        _ = try c.syncReplica("rk", transport: transport)
                        Issue.record("the sync survived the death of \(victim.name)'s agents")
                    } catch {}
                    #expect(fired.fired, "killed \(victim.name)'s agents mid-sync")
                    let fresh = try cluster.controller()
                    let state = try fresh.connections.call(RPC.ReplicaShow(name: "rk", verify: true), on: try fresh.store.host("host2"))
                    #expect(state.point?.point == 1)
                    #expect(state.point?.digest == kept)
                    #expect(state.digestNow == kept, "the previous point changed under a failed sync")
                    #expect(try fresh.replicaSummary("rk")?.lastError != nil)
                    c.connections.closeAll()
                }
                let fresh = try cluster.controller()
                let next = try fresh.syncReplica("rk", transport: transport)
                #expect(next.point == 2)
                #expect(try ClusterTests.Migration.layerDigest(Self.point(cluster, "host2", "rk")) == next.digest)
                #expect(try ClusterTests.Migration.layerDigest(Self.point(cluster, "host2", "rk")) != kept)
            }
        }

        /// The link between source and standby cut mid-sync (blackhole
        /// routes both ways; each stays reachable from the controller): the
        /// sync fails within the transfer's idle timeouts, the standby's
        /// previous point stays whole, and once the link is back the next
        /// sync succeeds.
        @Test func aLinkCutMidSyncKeepsThePreviousPoint() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                try Self.counterGuest(c, "rl")
                let write = "for i in $(seq 1 40); do head -c 4000000 /dev/urandom > /f$i; done"
                _ = try c.execGuest("rl", argv: ["/bin/sh", "-c", write], timeout: 120)
                let kept = try #require(try c.replicateGuest("rl", to: "host2", every: nil).digest)
                _ = try c.execGuest("rl", argv: ["/bin/sh", "-c", write], timeout: 120)
                let (one, two) = (cluster.state.hosts[0], cluster.state.hosts[1])
                let cuts = [(one.namespace, two.address), (two.namespace, one.address)]
                defer { for (namespace, address) in cuts { _ = Faults.ip(["-n", namespace, "route", "del", "blackhole", address + "/32"]) } }
                let replicas = two.stateDirectory + "/replicas/rl"
                let fired = CutSwitch()
                let watcher = Thread {
                    for _ in 0..<5000 {
                        let next = ((try? FileManager.default.contentsOfDirectory(atPath: replicas)) ?? []).first { $0.hasPrefix(".next-") }
                        if let next, Self.newFiles(replicas + "/" + next + "/upper", than: replicas + "/current/upper") >= 3, fired.fire() {
                            for (namespace, address) in cuts { _ = Faults.ip(["-n", namespace, "route", "add", "blackhole", address + "/32"]) }
                            return
                        }
                        usleep(2000)
                    }
                }
                watcher.start()
                let started = Date()
                do throws(FleetError) {
                    _ = try c.syncReplica("rl")
                    Issue.record("the sync went through a cut link")
                } catch {}
                let took = Date().timeIntervalSince(started)
                print("link cut: the sync gave up after \(String(format: "%.1f", took)) s")
                #expect(fired.fired)
                #expect(took < 120, "the sync took \(took) s to give up")
                for (namespace, address) in cuts { #expect(Faults.ip(["-n", namespace, "route", "del", "blackhole", address + "/32"]) == 0) }
                let fresh = try cluster.controller()
                // The standby's receiver may still be timing out: its next point goes when it does.
                var state = try fresh.connections.call(RPC.ReplicaShow(name: "rl", verify: true), on: try fresh.store.host("host2"))
                #expect(state.point?.point == 1 && state.digestNow == kept, "the previous point changed under a cut sync")
                var next: Controller.ReplicaSummary?
                for _ in 0..<40 where next == nil {
                    do throws(FleetError) { next = try fresh.syncReplica("rl") } catch { usleep(1_000_000) }
                }
                #expect(next?.point == 2)
                state = try fresh.connections.call(RPC.ReplicaShow(name: "rl", verify: true), on: try fresh.store.host("host2"))
                #expect(state.digestNow == next?.digest && state.digestNow != kept)
            }
        }

        /// How many f* files of `next` are not the same inode as in `current`.
        static func newFiles(_ next: String, than current: String) -> Int {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: next)) ?? []).filter { $0.hasPrefix("f") }
            return names.filter { name in
                var a = stat(), b = stat()
                return lstat(next + "/" + name, &a) == 0 && (lstat(current + "/" + name, &b) != 0 || a.st_ino != b.st_ino)
            }.count
        }

        /// The source's agent killed while the guest is frozen: the guest
        /// stays frozen (nothing else thaws it) until an agent starts on the
        /// host, which thaws it (FreezeMarker); checked in the kernel.
        @Test func aGuestFrozenByAKilledAgentIsThawedByTheNextAgent() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                try Self.counterGuest(c, "rf")
                let host1 = cluster.state.hosts[0]
                let status = try c.connections.call(RPC.GuestStatus(name: "rf"), on: try c.store.host("host1"))
                let pid = try #require(status.initPid)
                let events = try #require(Self.cgroupEvents(of: pid))
                let hooks = host1.stateDirectory + "/test-hooks"
                try FileManager.default.createDirectory(atPath: hooks, withIntermediateDirectories: true)
                try "20".write(toFile: hooks + "/replica-hold-frozen", atomically: true, encoding: .utf8)
                defer { try? FileManager.default.removeItem(atPath: hooks) }
                let sync = Thread { _ = try? c.replicateGuest("rf", to: "host2", every: nil) }
                sync.start()
                var frozen = false
                for _ in 0..<300 where !frozen {
                    frozen = Self.isFrozen(events)
                    if !frozen { usleep(50_000) }
                }
                try #require(frozen, "the sync froze the guest")
                for p in Faults.descendants(of: host1.sshdPid) where Faults.isAgent(p) { kill(p, SIGKILL) }
                try FileManager.default.removeItem(atPath: hooks)
                usleep(1_000_000)
                #expect(Self.isFrozen(events), "nothing but an agent's start thaws it")
                let fresh = try cluster.controller()
                _ = try fresh.connections.call(RPC.GuestList(), on: try fresh.store.host("host1"))
                #expect(!Self.isFrozen(events), "the next agent thawed the guest")
                #expect(!FileManager.default.fileExists(atPath: host1.stateDirectory + "/frozen/rf"))
                let upper = cluster.upper("host1", "rf")
                let now = Self.counter(upper)
                usleep(500_000)
                #expect(Self.counter(upper) > now, "the guest runs again")
            }
        }

        /// The guest's unified (v2) cgroup.events, from its init's /proc/PID/cgroup.
        static func cgroupEvents(of pid: Int) -> String? {
            let text = (try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? ""
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else { return nil }
            let unified = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup"
            return unified + line.dropFirst(3) + "/cgroup.events"
        }

        static func isFrozen(_ events: String) -> Bool {
            ((try? String(contentsOfFile: events, encoding: .utf8)) ?? "").split(separator: "\n").contains("frozen 1")
        }
    }
}
