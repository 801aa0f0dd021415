@testable import FleetController
import FleetProtocol
import FleetSystem
import Foundation
import Glibc
import Testing

extension ClusterTests.DirectTransferCluster {
    /// The link between the two hosts cut mid-stream while each stays
    /// reachable from the controller: packets between them vanish (a
    /// blackhole route on each side), so the TLS session hangs rather
    /// than closes. Each end's idle timeout ends it; the move rolls back
    /// within a bounded time with the guest running at the source.
    @Test func aLinkCutBetweenTheHostsMidStreamRollsBackInBoundedTime() throws {
        try withCluster(hosts: 2) { cluster in
            let c = try cluster.busyboxController()
            c.moveTransport.mode = .direct
            var r = Controller.GuestRequest(spec: GuestSpec(name: "lc", template: "busybox"))
            r.host = "host1"
            _ = try c.createGuest(r)
            _ = try c.execGuest("lc", argv: ["/bin/sh", "-c", "for i in $(seq 1 60); do head -c 4000000 /dev/urandom > /f$i; done"], timeout: 120)
            _ = try c.stopGuest("lc", timeout: 5)
            let original = try ClusterTests.Migration.layerDigest(cluster.upper("host1", "lc"))
            _ = try c.startGuest("lc")
            let (one, two) = (cluster.state.hosts[0], cluster.state.hosts[1])
            let cuts = [(one.namespace, two.address), (two.namespace, one.address)]
            defer { for (namespace, address) in cuts { _ = Self.ip(["-n", namespace, "route", "del", "blackhole", address + "/32"]) } }
            let staging = two.stateDirectory + "/guests/.incoming-lc/upper"
            let cutAt = Locked<ContinuousClock.Instant?>(nil)
            let cut = Self.midStream(staging) {
                for (namespace, address) in cuts { _ = Self.ip(["-n", namespace, "route", "add", "blackhole", address + "/32"]) }
                cutAt.withLock { $0 = .now }
            }
            do throws(FleetError) {
                _ = try c.moveGuest("lc", to: "host2")
                Issue.record("the move went through a cut link")
            } catch {
                #expect(error.message.contains("rolled back"), "\(error.message)")
            }
            let ended = ContinuousClock.now
            #expect(cut.fired)
            let since = try #require(cutAt.withLock { $0 })
            let took = Double((ended - since).components.seconds) + Double((ended - since).components.attoseconds) / 1e18
            print("link cut: the move gave up and rolled back \(String(format: "%.1f", took)) s after the cut")
            let idle = 30.0 // the agents' TransferSocket.idleSeconds
            // One idle timeout (30 s, at each end at once) and the rollback,
            // never a TCP timeout of many minutes. The source's send used to
            // wait out a second timeout (about 61 s after the cut): a
            // blocking write that had queued part of a record returned it
            // after one timeout, and the rest waited another.
            #expect(took >= idle - 1, "the move gave up \(took) s after the cut, before any idle timeout")
            #expect(took < idle + 20, "the move took \(took) s after the cut to give up")
            for (namespace, address) in cuts { #expect(Self.ip(["-n", namespace, "route", "del", "blackhole", address + "/32"]) == 0) }
            let fresh = try cluster.controller()
            #expect(try cluster.runningOn(fresh, "lc") == ["host1"])
            #expect(try fresh.store.placement(of: "lc")?.host == "host1")
            #expect(!cluster.stagingExists("host2", "lc"))
            #expect(try fresh.store.inFlight().isEmpty)
            _ = try fresh.stopGuest("lc", timeout: 5)
            #expect(try ClusterTests.Migration.layerDigest(cluster.upper("host1", "lc")) == original)
        }
    }

    /// Every agent of the destination killed mid-stream, the one behind the
    /// controller's kept call session too: the rollback reaches the host
    /// again on a fresh session (it used to fail on the dead channel and
    /// leave the move rollback_pending).
    @Test func everyAgentOfTheDestinationKilledMidStreamStillRollsBackAtOnce() throws {
        try withCluster(hosts: 2) { cluster in
            let c = try cluster.busyboxController()
            c.moveTransport.mode = .direct
            var r = Controller.GuestRequest(spec: GuestSpec(name: "ka", template: "busybox"))
            r.host = "host1"
            _ = try c.createGuest(r)
            _ = try c.execGuest("ka", argv: ["/bin/sh", "-c", "for i in $(seq 1 40); do head -c 4000000 /dev/urandom > /f$i; done"], timeout: 120)
            // The controller's call session to host2 is open and kept.
            _ = try c.connections.call(RPC.GuestList(), on: try c.store.host("host2"))
            let victim = cluster.state.hosts[1]
            let staging = victim.stateDirectory + "/guests/.incoming-ka/upper"
            let killed = Self.midStream(staging) {
                for pid in Self.descendants(of: victim.sshdPid) where Self.isAgent(pid) { kill(pid, SIGKILL) }
            }
            do throws(FleetError) {
                _ = try c.moveGuest("ka", to: "host2")
                Issue.record("the move survived the death of host2's agents")
            } catch {
                #expect(error.message.contains("rolled back"), "\(error.message)")
                #expect(!error.message.contains("rollback_pending"), "\(error.message)")
            }
            #expect(killed.fired)
            #expect(try c.store.inFlight().isEmpty)
            #expect(try cluster.runningOn(c, "ka") == ["host1"])
            #expect(!cluster.stagingExists("host2", "ka"))
        }
    }

    /// Hosts enrolled by a name rather than a numeric address still move
    /// directly: the transfer names them by the addresses the controller's
    /// sessions reached. (The names here are dotted hex, which the
    /// resolver takes and inet_pton does not: a name without a DNS server.)
    @Test func hostsEnrolledByNameMoveDirectly() throws {
        try withCluster(hosts: 2) { cluster in
            let c = try cluster.busyboxController()
            for host in cluster.state.hosts {
                var stored = try c.store.host(host.name)
                let name = host.address.split(separator: ".").map { "0x" + String(Int($0)!, radix: 16) }.joined(separator: ".")
                stored.address = name
                try c.store.updateHost(stored)
                // The host key, known under the name too.
                let known = try String(contentsOfFile: host.knownHostsFile, encoding: .utf8)
                let lines = known.split(separator: "\n").filter { $0.hasPrefix(host.address + " ") }
                try #require(!lines.isEmpty)
                let added = lines.map { name + $0.dropFirst(host.address.count) }.joined(separator: "\n") + "\n"
                let handle = try #require(FileHandle(forWritingAtPath: host.knownHostsFile))
                handle.seekToEndOfFile()
                handle.write(Data(added.utf8))
                try handle.close()
            }
            c.connections.closeAll()
            c.moveTransport.mode = .direct
            var r = Controller.GuestRequest(spec: GuestSpec(name: "byname", template: "busybox"))
            r.host = "host1"
            _ = try c.createGuest(r)
            _ = try c.execGuest("byname", argv: ["/bin/sh", "-c", "head -c 1000000 /dev/urandom > /blob"], timeout: 60)
            let result = try c.moveGuest("byname", to: "host2")
            // The template host2 lacked came from host1 by its reached address too.
            #expect(result.transports == ["template: direct from host1", "precopy: direct", "delta: direct"])
            #expect(try cluster.runningOn(c, "byname") == ["host2"])
        }
    }

    /// Runs `action` once, as soon as three of the guest's files (f1, f2, …)
    /// are in the destination's staging area: the copy is mid-stream. The
    /// switch says whether it fired.
    static func midStream(_ staging: String, _ action: @escaping @Sendable () -> Void) -> CutSwitch {
        let fired = CutSwitch()
        let watcher = Thread {
            for _ in 0..<3000 {
                let arrived = ((try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? []).filter { $0.hasPrefix("f") }.count
                if arrived >= 3, fired.fire() {
                    action()
                    return
                }
                usleep(2000)
            }
        }
        watcher.start()
        return fired
    }

    static func ip(_ arguments: [String]) -> Int32 {
        guard let p = try? Process.run(URL(fileURLWithPath: "/usr/sbin/ip"), arguments: arguments) else { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }
}
