@testable import FleetController
import FleetDevCluster
import FleetProtocol
import FleetSystem
import FleetTree
import GRDB
import Foundation
import Glibc
import Testing

extension ClusterTests {
    /// `vfleet host fail` and the dead host's return, on three test hosts
    /// with real faults: the host's agents killed, its guests' processes
    /// killed, its link down.
    @Suite struct Failover {
        typealias Faults = ClusterTests.DirectTransferCluster

        /// Counts every 100 ms into /bN/ (N: the how-many-th boot of this
        /// layer), so that the data of the boot before a failover stays
        /// apart from what the guest writes after it.
        static let counterScript = "n=$(($(cat /boots 2>/dev/null || echo 0)+1)); echo $n > /boots; mkdir -p /b$n; i=0; "
            + "while :; do i=$((i+1)); echo $i > /b$n/counter.tmp; mv /b$n/counter.tmp /b$n/counter; echo $i > /b$n/c-$i; sleep 0.1; done"

        static func counterGuest(_ c: Controller, _ name: String, on host: String, autostart: Bool = true) throws {
            var r = Controller.GuestRequest(spec: GuestSpec(name: name, template: "busybox", initCommand: ["/bin/sh", "-c", counterScript], autostart: autostart))
            r.host = host
            _ = try c.createGuest(r)
            if try c.connections.call(RPC.GuestStatus(name: name), on: try c.store.host(host)).state != .running {
                _ = try c.startGuest(name)
            }
        }

        static func counter(_ dir: String) -> Int {
            Int(((try? String(contentsOfFile: dir + "/counter", encoding: .utf8)) ?? "0").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        }

        static func host(_ cluster: TestCluster, _ name: String) -> DevClusterState.Host {
            cluster.state.hosts.first { $0.name == name }!
        }

        /// The pids in guest `guest`'s cgroups on test host `host`, read
        /// from the kernel (/proc/PID/cgroup, every hierarchy), not from an agent.
        static func kernelProcesses(_ cluster: TestCluster, _ host: String, _ guest: String) -> [Int32] {
            let leaf = "/" + Self.host(cluster, host).cgroupParent + "/" + guest
            let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
            return pids.filter { pid in
                let text = (try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? ""
                return text.split(separator: "\n").contains { $0.hasSuffix(leaf) || $0.contains(leaf + "/") }
            }
        }

        /// A host's death: its guests' processes and its agents killed, its link down.
        static func kill(_ cluster: TestCluster, _ name: String, guests: [String]) {
            let h = host(cluster, name)
            for _ in 0..<20 {
                let left = guests.flatMap { kernelProcesses(cluster, name, $0) }
                if left.isEmpty { break }
                for pid in left { Glibc.kill(pid, SIGKILL) }
                usleep(50_000)
            }
            for pid in Faults.descendants(of: h.sshdPid) where Faults.isAgent(pid) { Glibc.kill(pid, SIGKILL) }
            _ = Faults.ip(["-n", h.namespace, "link", "set", "eth0", "down"])
        }

        static func linkUp(_ cluster: TestCluster, _ name: String) -> Int32 {
            Faults.ip(["-n", host(cluster, name).namespace, "link", "set", "eth0", "up"])
        }

        /// What the host's boot does (vfleet-agent.service): `vfleet-agent boot`, in the host's network.
        static func boot(_ cluster: TestCluster, _ name: String) throws -> String {
            let h = host(cluster, name)
            let r = try Subprocess.run(["nsenter", "--net=/run/netns/\(h.namespace)", "--", TestCluster.agentBinary, "boot", "--root", h.stateDirectory])
            return r.stdoutText + r.stderrText
        }

        /// Every regular file under `dir`, relative, with its bytes.
        static func files(_ dir: String) -> [String: Data] {
            var out: [String: Data] = [:]
            for name in (try? FileManager.default.subpathsOfDirectory(atPath: dir)) ?? [] {
                var st = stat()
                guard lstat(dir + "/" + name, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
                out[name] = FileManager.default.contents(atPath: dir + "/" + name)
            }
            return out
        }

        /// (a) The host dies; `host fail` starts the guest on its standby from
        /// the last complete point (what was written before that sync is
        /// there, what was written after is not, every file as in the point,
        /// the reported recovery point is the sync's). (b) The host comes
        /// back and boots: the guest is not started there, not by its boot,
        /// not by reconcile; one copy runs, checked in the kernel; reclaim
        /// (dry run, then for real) deletes the stale copy; restore.
        @Test func aDeadHostsReplicatedGuestComesBackOnItsStandbyAndNotOnTheHostsReturn() throws {
            try withCluster(hosts: 3) { cluster in
                let c = try cluster.busyboxController()
                try Self.counterGuest(c, "fo", on: "host1")
                // A guest without a replica: it stays placed on the failed host.
                try Self.counterGuest(c, "nr", on: "host1", autostart: false)
                let upper = cluster.upper("host1", "fo") + "/b1"
                while Self.counter(upper) < 5 { usleep(100_000) }
                // Scheduled (an hour: no serve runs here), so that its record
                // outlives the failover and is re-targeted (below).
                _ = try c.replicateGuest("fo", to: "host2", every: 3600)
                // A guest elsewhere whose standby is the host that dies.
                try Self.counterGuest(c, "sb", on: "host3", autostart: false)
                _ = try c.replicateGuest("sb", to: "host1", every: 60)
                usleep(300_000)
                let before = Self.counter(upper)
                let last = try c.syncReplica("fo")
                // The point, as the standby holds it, kept aside to compare with.
                let kept = cluster.directory + "/kept-point"
                _ = try Subprocess.run(["cp", "-a", Self.host(cluster, "host2").stateDirectory + "/replicas/fo/current/upper", kept])
                #expect(try ClusterTests.Migration.layerDigest(kept) == last.digest)
                let atPoint = Self.counter(kept + "/b1")
                #expect(atPoint >= before)
                // The guest writes on after the sync; then its host dies.
                usleep(500_000)
                Self.kill(cluster, "host1", guests: ["fo", "nr"])
                let after = Self.counter(upper)
                #expect(after > atPoint, "the guest wrote after the last sync (\(after) > \(atPoint))")
                #expect(Self.kernelProcesses(cluster, "host1", "fo").isEmpty)

                // A sync of fo from host1 that cannot end (its host is dead),
                // run by a live controller: the failover does not wait for it.
                let stuck = try c.store.beginOperation(kind: Controller.syncKind, guest: "fo", host: "host2", params: "{}", firstStep: "send")
                let fresh = try cluster.controller()
                let started = Date()
                let report = try fresh.failHost("host1", reason: "test: host killed", force: false)
                #expect(try fresh.store.operation(stuck.id!).state == .failed)
                let took = Date().timeIntervalSince(started)
                print(String(format: "host fail: guest fo running on host2 %.2f s after the command began", took))
                #expect(took < 30)
                #expect(!report.forced && report.hostState == "failed")
                try #require(report.failovers.count == 1)
                let f = report.failovers[0]
                #expect(f.error == nil && f.guest == "fo" && f.standby == "host2" && f.started)
                #expect(f.point == last.point && f.takenAt == last.takenAt && f.digest == last.digest, "the reported recovery point is the last sync's")
                #expect((f.recoveryPointAgeSeconds ?? -1) >= 0.5 && (f.recoveryPointAgeSeconds ?? 99) < 30)
                #expect(report.stranded.map(\.guest) == ["nr"])
                // sb's replica was on host1: it moved to host2 (host3 runs
                // sb), synced in full from host3; host1's copy waits for reclaim.
                #expect(report.lostReplicas.isEmpty, "\(report.lostReplicas)")
                let sbMoved = try #require(report.replicas.first, "\(report)")
                #expect(report.replicas.count == 1 && sbMoved.guest == "sb" && sbMoved.from == "host1" && sbMoved.to == "host2"
                        && !sbMoved.droppedOld && sbMoved.error == nil, "\(report.replicas)")
                let sb = try #require(try fresh.replicaSummary("sb"))
                #expect(sb.host == "host2" && sb.point == 1 && sb.lastError == nil, "\(sb)")
                #expect(try ClusterTests.Migration.layerDigest(Self.host(cluster, "host2").stateDirectory + "/replicas/sb/current/upper") == sb.digest)
                #expect(try fresh.store.placement(of: "fo")?.host == "host2")
                #expect(try fresh.store.placement(of: "nr")?.host == "host1")
                #expect(try fresh.store.host("host1").state == .failed)
                // The replica became the guest; its record waits, pointless,
                // on the host fo now runs on, for a new standby.
                let spent = try #require(try fresh.replicaSummary("fo"), "a scheduled replica's record outlives its failover")
                #expect(spent.host == "host2" && spent.point == nil && spent.everySeconds == 3600
                        && spent.lastError?.contains("failed over onto this standby from point \(last.point ?? 0)") == true, "\(spent)")
                // Its data: the point's, whole; nothing of what it wrote after.
                let promoted = cluster.upper("host2", "fo")
                let keptFiles = Self.files(kept + "/b1")
                let nowFiles = Self.files(promoted + "/b1")
                #expect(nowFiles == keptFiles, "the first boot's files on host2 are the point's, byte for byte")
                #expect(FileManager.default.fileExists(atPath: promoted + "/b1/c-\(before)"))
                #expect(!FileManager.default.fileExists(atPath: promoted + "/b1/c-\(atPoint + 1)"))
                #expect(!FileManager.default.fileExists(atPath: promoted + "/b1/c-\(after)"))
                // It runs there: its second boot counts.
                var counting = false
                for _ in 0..<100 where !counting {
                    counting = Self.counter(promoted + "/b2") > 2
                    if !counting { usleep(100_000) }
                }
                #expect(counting, "guest fo runs on host2")
                #expect(!Self.kernelProcesses(cluster, "host2", "fo").isEmpty)

                // (b) The host returns and boots.
                #expect(Self.linkUp(cluster, "host1") == 0)
                let booted = try Self.boot(cluster, "host1")
                #expect(booted.contains("left guest fo to the controller"), "\(booted)")
                let back = try cluster.controller()
                let actions = try back.reconcile(dryRun: false)
                #expect(actions.contains { $0.host == "host1" && $0.kind == .refused }, "\(actions)")
                #expect(!actions.contains { $0.host == "host1" && $0.done })
                usleep(500_000)
                #expect(Self.kernelProcesses(cluster, "host1", "fo").isEmpty, "the returned host does not run fo")
                #expect(Self.kernelProcesses(cluster, "host1", "nr").isEmpty, "reconcile starts nothing on a failed host")
                #expect(!Self.kernelProcesses(cluster, "host2", "fo").isEmpty, "fo runs on host2")
                #expect(Self.kernelProcesses(cluster, "host3", "fo").isEmpty, "and nowhere else")
                #expect(try cluster.runningOn(back, "fo") == ["host2"])
                // Restore before reclaim is refused: the stale copy is there.
                #expect(throws: FleetError.self) { _ = try back.restore("host1", dryRun: false) }
                let dry = try cluster.cli(["host", "reclaim", "host1", "--dry-run", "--format", "json"])
                #expect(dry.status == 0, "\(dry.err)")
                let planned = try JSONDecoder().decode(Controller.ReclaimReport.self, from: Data(dry.out.utf8))
                #expect(planned.items.map(\.guest) == ["fo"] && planned.kept == ["nr"])
                #expect(planned.replicas.map(\.guest) == ["sb"] && planned.replicas.first?.keptOn == "host2", "\(planned.replicas)")
                let h1 = Self.host(cluster, "host1").stateDirectory
                #expect(FileManager.default.fileExists(atPath: h1 + "/guests/fo"), "a dry run deletes nothing")
                #expect(FileManager.default.fileExists(atPath: h1 + "/replicas/sb"), "a dry run deletes nothing")
                let done = try cluster.cli(["host", "reclaim", "host1"])
                #expect(done.status == 0 && done.out.contains("fo (runs on host2): deleted"), "\(done.out)\(done.err)")
                #expect(done.out.contains("replica of sb (kept on host2): deleted"), "\(done.out)")
                #expect(!FileManager.default.fileExists(atPath: h1 + "/guests/fo"))
                #expect(!FileManager.default.fileExists(atPath: h1 + "/replicas/sb"), "the replica the store no longer points at is gone")
                #expect(FileManager.default.fileExists(atPath: Self.host(cluster, "host2").stateDirectory + "/replicas/sb/current"), "the one it points at stays")
                // The returned host now knows the newest token for fo.
                let token = Int64(((try? String(contentsOfFile: h1 + "/locks/fence-fo", encoding: .utf8)) ?? "0").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
                let failoverToken = try fresh.store.operation(try #require(f.operation)).fence
                #expect(token > failoverToken, "reclaim's token \(token) is newer than the failover's \(failoverToken)")
                let restored = try back.restore("host1", dryRun: false)
                #expect(restored.hostState == "active")
                #expect(try back.store.host("host1").state == .active)
                #expect(try cluster.runningOn(back, "fo") == ["host2"])
                // A reclaim left in flight is resumed, but never deletes the
                // fleet's live copy: nr is placed on host1, its copy stays.
                let stray = try back.store.beginOperation(kind: Controller.reclaimKind, guest: "nr", host: "host1", params: "{}", firstStep: "stop")
                let resumed = try back.resumeOperations(stray.id)
                #expect(resumed.first?.outcome == "failed" && resumed.first?.detail.contains("placed on host1") == true, "\(resumed)")
                #expect(FileManager.default.fileExists(atPath: h1 + "/guests/nr"))
                // The failed-over guest is protected again by the schedule
                // alone: a new standby (not host2, where fo runs), synced.
                let failures = back.syncDueReplicas()
                #expect(failures.isEmpty, "\(failures)")
                let renewed = try #require(try back.replicaSummary("fo"))
                #expect(renewed.host != "host2" && renewed.point == 1 && renewed.lastError == nil, "\(renewed)")
                #expect(try ClusterTests.Migration.layerDigest(Self.host(cluster, renewed.host).stateDirectory + "/replicas/fo/current/upper") == renewed.digest)
            }
        }

        /// (c) A host whose agent answers is not failed without --force;
        /// with it, its replicated guest is stopped there (under the
        /// failover's token) before the replica starts; run again, host
        /// fail repeats nothing.
        @Test func failingAHostThatAnswersIsRefusedUnlessForced() throws {
            try withCluster(hosts: 3) { cluster in
                let c = try cluster.busyboxController()
                try Self.counterGuest(c, "fa", on: "host1")
                _ = try c.replicateGuest("fa", to: "host3", every: nil)
                // A second guest whose point on host2 is damaged (one byte, same size).
                try Self.counterGuest(c, "fd", on: "host1")
                while Self.counter(cluster.upper("host1", "fd") + "/b1") < 3 { usleep(100_000) }
                _ = try c.replicateGuest("fd", to: "host2", every: nil)
                let damaged = Self.host(cluster, "host2").stateDirectory + "/replicas/fd/current/upper/b1/c-1"
                try #require(FileManager.default.contents(atPath: damaged) == Data("1\n".utf8))
                let handle = try #require(FileHandle(forWritingAtPath: damaged))
                try handle.write(contentsOf: Data("7".utf8))
                try handle.close()
                do throws(FleetError) {
                    _ = try c.failHost("host1", reason: nil, force: false)
                    Issue.record("host fail of a host that answers went through")
                } catch {
                    #expect(error.code == .conflict && error.message.contains("answers"), "\(error.message)")
                }
                #expect(try c.store.host("host1").state == .active)
                #expect(try cluster.runningOn(c, "fa") == ["host1"])
                let cli = try cluster.cli(["host", "fail", "host1"])
                #expect(cli.status != 0 && cli.err.contains("--force"), "\(cli.err)")

                let report = try c.failHost("host1", reason: "test: forced", force: true)
                #expect(report.forced)
                try #require(report.failovers.map(\.guest) == ["fa", "fd"])
                let damagedFailover = report.failovers[1]
                #expect(damagedFailover.error?.contains("digest") == true, "\(damagedFailover)")
                #expect(try c.store.placement(of: "fd")?.host == "host1")
                #expect(try cluster.runningOn(c, "fd") == ["host1"], "a point that is not the guest's is not started, and the guest is not stopped for it")
                let f = report.failovers[0]
                #expect(f.error == nil && f.standby == "host3" && f.started, "\(f)")
                #expect(Self.kernelProcesses(cluster, "host1", "fa").isEmpty, "stopped on the living host")
                #expect(try cluster.runningOn(c, "fa") == ["host3"])
                // The journal: the stop came before the start.
                let steps = try c.store.steps(of: try #require(f.operation)).map(\.step)
                let stop = try #require(steps.firstIndex(of: "stop-source"))
                #expect(stop < (steps.firstIndex(of: "start") ?? -1), "\(steps)")
                // The stop was fenced: host1 holds the failover's token for fa.
                let token = (try? String(contentsOfFile: Self.host(cluster, "host1").stateDirectory + "/locks/fence-fa", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(token == String(try c.store.operation(f.operation!).fence))
                // Again: fa is not failed over twice; fd is tried again, and refused again.
                let again = try c.failHost("host1", reason: nil, force: true)
                #expect(again.failovers.map(\.guest) == ["fd"] && again.failovers[0].error != nil && again.stranded.isEmpty)
                #expect(try cluster.runningOn(c, "fd") == ["host1"])
                // The agent's promote, run again, answers the same point.
                let promote = RPC.Fenced(RPC.ReplicaPromote(name: "fa", spec: try c.store.guest("fa").spec),
                                         fence: Fence(guest: "fa", token: try c.store.operation(f.operation!).fence, operation: f.operation!))
                let repeated = try c.connections.call(promote, on: try c.store.host("host3"))
                #expect(repeated.already && repeated.point.point == f.point && repeated.point.digest == f.digest)
                #expect(try cluster.runningOn(c, "fa") == ["host3"])
            }
        }
        /// A `host fail` killed after its promote (its operation in flight,
        /// its owner dead) is continued by the next `host fail` (another
        /// process): the operation is claimed with a new token, the agent's
        /// promote answers the point it made, and the guest runs once.
        @Test func aFailoverLeftInFlightIsContinuedByTheNextHostFail() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                try Self.counterGuest(c, "fr", on: "host1")
                let last = try c.replicateGuest("fr", to: "host2", every: nil)
                try c.ensureTemplate(try c.store.template("busybox"), on: try c.store.host("host2"))
                Self.kill(cluster, "host1", guests: ["fr"])
                // What a run killed after its promote leaves: the failed host,
                // the operation at its promote step, the guest made on host2.
                try c.store.updateHostState("host1", .failed)
                let params = Controller.FailoverParams(from: "host1", to: "host2", reason: nil, stopSource: false)
                let op = try c.store.beginOperation(kind: Controller.failoverKind, guest: "fr", host: "host2", params: params.json, firstStep: "promote")
                let fence = Fence(guest: "fr", token: op.fence, operation: op.id!)
                let made = try c.connections.call(RPC.Fenced(RPC.ReplicaPromote(name: "fr", spec: try c.store.guest("fr").spec), fence: fence),
                                                  on: try c.store.host("host2"))
                #expect(!made.already && made.point.digest == last.digest)
                try c.store.write { db in
                    try db.execute(sql: "UPDATE operations SET owner = ? WHERE id = ?", arguments: ["2147483646@\(ProcessInfo.processInfo.hostName)", op.id!])
                }
                #expect(Self.kernelProcesses(cluster, "host2", "fr").isEmpty, "made, not started")

                let again = try cluster.cli(["host", "fail", "host1", "--format", "json"])
                #expect(again.status == 0, "\(again.out)\(again.err)")
                let report = try JSONDecoder().decode(Controller.HostFailReport.self, from: Data(again.out.utf8))
                let f = try #require(report.failovers.first)
                #expect(report.failovers.count == 1 && f.operation == op.id && f.resumed && f.error == nil && f.started, "\(report)")
                #expect(f.point == last.point && f.digest == last.digest)
                let after = try c.store.operation(op.id!)
                #expect(after.state == .done && after.fence > op.fence, "claimed with a new token, then finished")
                #expect(try c.store.placement(of: "fr")?.host == "host2")
                #expect(try cluster.agentGuests(c, "host2").first { $0.name == "fr" }?.state == .running)
                #expect(Self.kernelProcesses(cluster, "host2", "fr").count > 0 && Self.kernelProcesses(cluster, "host1", "fr").isEmpty)
                // And once more: nothing left to do.
                let third = try c.failHost("host1", reason: nil, force: false)
                #expect(third.failovers.isEmpty && third.stranded.isEmpty)
            }
        }
        /// serve's auto-failover, one look at a time (the times given):
        /// off, nothing happens however long a host is unreachable; set to
        /// 10 s, the dead host is failed over at the first look 10 s after
        /// the first look that found it unreachable, not before.
        @Test func autoFailoverFailsAHostUnreachableForTheSetTime() throws {
            try withCluster(hosts: 3) { cluster in
                let c = try cluster.busyboxController()
                try Self.counterGuest(c, "au", on: "host1")
                _ = try c.replicateGuest("au", to: "host2", every: nil)
                Self.kill(cluster, "host1", guests: ["au"])
                let fresh = try cluster.controller()
                let auto = AutoFailover(controller: fresh)
                let t0 = 1000.0
                #expect(auto.run(now: t0).isEmpty && auto.run(now: t0 + 3600).isEmpty, "off by default")
                let set = try cluster.cli(["config", "set", "failover.auto-after", "10s"])
                #expect(set.status == 0, "\(set.err)")
                var lines: [String] = []
                #expect(auto.run(now: t0) { lines.append($0) }.isEmpty)
                #expect(auto.run(now: t0 + 9) { lines.append($0) }.isEmpty)
                #expect(try fresh.store.host("host1").state == .active)
                let reports = auto.run(now: t0 + 10) { lines.append($0) }
                #expect(reports.map(\.host) == ["host1"], "\(lines)")
                #expect(reports.first?.failovers.first?.started == true, "\(reports)")
                #expect(try fresh.store.host("host1").state == .failed)
                #expect(try cluster.agentGuests(fresh, "host2").first { $0.name == "au" }?.state == .running)
                #expect(lines.contains { $0.contains("auto-failover: host host1 unreachable for 10 s") }, "\(lines)")
                // A failed host is not asked again.
                #expect(auto.run(now: t0 + 100).isEmpty)
            }
        }
    }
}
