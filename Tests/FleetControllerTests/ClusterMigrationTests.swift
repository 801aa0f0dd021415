@testable import FleetController
import FleetProtocol
import FleetTree
import Foundation
import Glibc
import Synchronization
import Testing

extension ClusterTests {
    @Suite struct Migration {
        /// Gives a guest a layer with what must survive a move: a whiteout
        /// (a template file deleted), an opaque directory, hard links,
        /// symlinks, odd modes and owners, a sparse file, xattrs.
        static func populate(_ c: Controller, _ cluster: TestCluster, _ guest: String, host: String, megabytes: Int = 4) throws {
            let r = try c.execGuest(guest, argv: ["/bin/sh", "-c", """
                set -e
                rm /bin/ls
                rm -rf /etc && mkdir /etc && echo fresh > /etc/hostname
                mkdir -p /data/sub && echo one > /data/a && ln /data/a /data/b && ln /data/a /data/sub/c
                ln -s /data/a /data/link && ln -s ../nowhere /data/dangling
                head -c \(megabytes * 1024 * 1024) /dev/urandom > /data/blob
                dd if=/dev/zero of=/data/sparse bs=1 count=1 seek=50000000 2>/dev/null
                chmod 4711 /data/a && chown 1234:5678 /data/sub
                mkfifo /data/fifo
                """], timeout: 120)
            #expect(r.exitCode == 0, "\(r.stderr)")
            let upper = cluster.upper(host, guest)
            // busybox has no setfattr: set a user xattr from the host.
            let p = try Process.run(URL(fileURLWithPath: "/usr/bin/python3"),
                                    arguments: ["-c", "import os,sys; os.setxattr(sys.argv[1], 'user.vfleet', b'kept')", upper + "/data/blob"])
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
        }

        static func layerDigest(_ path: String) throws -> String { try TreeDigester.digest(root: path).digest }

        /// Each migration test runs with the default transport (direct, the
        /// relay as fallback) and with the relay alone: both must hold it.
        static let transports: [LayerTransportMode] = [.auto, .relay]

        @Test(arguments: transports) func moveKeepsEveryKindOfFileAndRunsOnExactlyOneHost(transport: LayerTransportMode) throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                c.moveTransport.mode = transport
                // In the host's user namespace: the layers are compared owner for owner
                // (a user namespace guest's layer is rebased to its new host's ids).
                var r = Controller.GuestRequest(spec: GuestSpec(name: "mv1", template: "busybox", userNamespace: false))
                r.host = "host1"
                _ = try c.createGuest(r)
                try Self.populate(c, cluster, "mv1", host: "host1")
                _ = try c.stopGuest("mv1", timeout: 5)
                let before = try Self.layerDigest(cluster.upper("host1", "mv1"))
                let manifestBefore = try TreeManifest.build(root: cluster.upper("host1", "mv1"))
                _ = try c.startGuest("mv1")
                let watcher = try TwoHostWatcher(cluster: cluster, guests: ["mv1"])
                let result = try c.moveGuest("mv1", to: "host2", keepSource: true)
                let seen = watcher.finish()
                #expect(seen.violations.isEmpty, "\(seen.violations)")
                #expect(seen.samples > 3)
                #expect(result.templateSent)
                #expect(result.precopyBytes > 4 << 20)
                #expect(result.deltaBytes < result.precopyBytes)
                #expect(result.downtimeSeconds != nil)
                #expect(try cluster.runningOn(c, "mv1") == ["host2"])
                #expect(try c.store.placement(of: "mv1")?.host == "host2")
                // Every file's digest equal; types, modes, owners, links, xattrs, whiteouts too.
                #expect(try Self.layerDigest(cluster.upper("host2", "mv1")) == before)
                #expect(try TreeManifest.build(root: cluster.upper("host2", "mv1")) == manifestBefore)
                var st = stat()
                #expect(lstat(cluster.upper("host2", "mv1") + "/bin/ls", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR)
                #expect(lstat(cluster.upper("host2", "mv1") + "/data/sparse", &st) == 0 && st.st_blocks < 1000)
                var a = stat(), b = stat()
                lstat(cluster.upper("host2", "mv1") + "/data/a", &a)
                lstat(cluster.upper("host2", "mv1") + "/data/sub/c", &b)
                #expect(a.st_ino == b.st_ino)
                // The guest works there: its files, its whiteout.
                let check = try c.execGuest("mv1", argv: ["/bin/sh", "-c", "cat /etc/hostname; test -e /bin/ls || echo no-ls; cat /data/b"])
                #expect(check.stdout == "fresh\nno-ls\none\n")
                // --keep-source kept a stopped copy at the source.
                #expect(try cluster.agentGuests(c, "host1").first { $0.name == "mv1" }?.state == .stopped)
                // Without --keep-source the source copy goes.
                _ = try c.connections.call(RPC.GuestDestroy(name: "mv1", force: true), on: try c.store.host("host1"))
                _ = try c.moveGuest("mv1", to: "host1")
                #expect(try cluster.runningOn(c, "mv1") == ["host1"])
                #expect(try cluster.agentGuests(c, "host2").contains { $0.name == "mv1" } == false)
                #expect(try Self.layerDigest(cluster.upper("host1", "mv1")) == before)
                #expect(try c.store.operations().allSatisfy { $0.state == .done })
            }
        }

        @Test(arguments: transports) func killedAtEveryStepTheMoveResumesToOneRunningCopy(transport: LayerTransportMode) throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                // In the host's user namespace: the layers are compared owner for owner
                // (a user namespace guest's layer is rebased to its new host's ids).
                var r = Controller.GuestRequest(spec: GuestSpec(name: "crash", template: "busybox", userNamespace: false))
                r.host = "host1"
                _ = try c.createGuest(r)
                try Self.populate(c, cluster, "crash", host: "host1", megabytes: 1)
                _ = try c.stopGuest("crash", timeout: 5)
                let original = try Self.layerDigest(cluster.upper("host1", "crash"))
                _ = try c.startGuest("crash")
                for step in ["template", "precopy", "stop-source", "delta", "verify", "adopt", "start-destination", "placement", "cleanup-source"] {
                    let from = try #require(try c.store.placement(of: "crash")?.host)
                    let to = from == "host1" ? "host2" : "host1"
                    let killed = try cluster.cli(["guest", "move", "crash", "--to", to, "--transport", transport.rawValue], env: ["VFLEET_TEST_CRASH_AT_STEP": step])
                    #expect(killed.status == 99, "\(step): \(killed.err)")
                    // A second controller refuses to act on the guest meanwhile.
                    let refused = try cluster.cli(["guest", "stop", "crash"])
                    #expect(refused.status != 0 && refused.err.contains("in flight"), "\(step): \(refused.err)")
                    let resumed = try cluster.cli(["ops", "resume"])
                    #expect(resumed.status == 0, "\(step): \(resumed.out) \(resumed.err)")
                    let fresh = try cluster.controller()
                    let running = try cluster.runningOn(fresh, "crash")
                    #expect(running.count == 1, "\(step): runs on \(running)")
                    let at = try #require(running.first)
                    #expect(try fresh.store.placement(of: "crash")?.host == at, "\(step)")
                    #expect(try Self.layerDigest(cluster.upper(at, "crash")) == original, "\(step)")
                    #expect(try fresh.store.inFlight().isEmpty, "\(step)")
                    #expect(!cluster.stagingExists("host1", "crash") && !cluster.stagingExists("host2", "crash"), "\(step)")
                    // Only one copy remains once the move finished.
                    let copies = try cluster.state.hosts.map(\.name).filter { try cluster.agentGuests(fresh, $0).contains { $0.name == "crash" } }
                    #expect(copies == [at], "\(step): copies on \(copies)")
                    fresh.connections.closeAll()
                }
            }
        }

        /// Resumed after the pre-copy's channels are gone, the delta is made
        /// against the destination's manifest, sent to the source: for a
        /// 40,000-file layer that is over the agent's request line cap, and
        /// the resume failed until it went in parts.
        @Test func aResumedMoveOfAManyFileGuestSendsTheManifestInParts() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                var r = Controller.GuestRequest(spec: GuestSpec(name: "many", template: "busybox", userNamespace: false))
                r.host = "host1"
                _ = try c.createGuest(r)
                let fill = try c.execGuest("many", argv: ["/bin/sh", "-c", "mkdir -p /data && cd /data && seq 1 40000 | xargs touch"], timeout: 120)
                #expect(fill.exitCode == 0, "\(fill.stderr)")
                let killed = try cluster.cli(["guest", "move", "many", "--to", "host2"], env: ["VFLEET_TEST_CRASH_AT_STEP": "delta"])
                #expect(killed.status == 99, "\(killed.err)")
                let resumed = try cluster.cli(["ops", "resume"])
                #expect(resumed.status == 0, "\(resumed.out) \(resumed.err)")
                let fresh = try cluster.controller()
                #expect(try cluster.runningOn(fresh, "many") == ["host2"])
                #expect(try fresh.store.inFlight().isEmpty)
                let count = try fresh.execGuest("many", argv: ["/bin/sh", "-c", "ls /data | wc -l"])
                #expect(count.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "40000")
                fresh.connections.closeAll()
            }
        }

        @Test(arguments: transports) func filesChangedCreatedAndDeletedDuringThePrecopyTravelInTheDelta(transport: LayerTransportMode) throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                c.moveTransport.mode = transport
                // In the host's user namespace: the layers are compared owner for owner
                // (a user namespace guest's layer is rebased to its new host's ids).
                var r = Controller.GuestRequest(spec: GuestSpec(name: "busy", template: "busybox", userNamespace: false))
                r.host = "host1"
                _ = try c.createGuest(r)
                // Enough to copy for a while, and a writer that never rests:
                // rewrites, new files and deletions while the pre-copy runs.
                let fill = try c.execGuest("busy", argv: ["/bin/sh", "-c", """
                    mkdir -p /data && i=0; while [ $i -lt 40 ]; do head -c 1048576 /dev/urandom > /data/b$i; i=$((i+1)); done
                    (n=0; while :; do n=$((n+1)); echo $n > /data/counter; echo $n > /data/new$n; rm -f /data/new$((n-3)) /data/b$((n % 40)); sleep 0.01; done) >/dev/null 2>&1 &
                    """], timeout: 120)
                #expect(fill.exitCode == 0, "\(fill.stderr)")
                usleep(300_000)
                let result = try c.moveGuest("busy", to: "host2", keepSource: true)
                #expect(result.deltaBytes > 0)
                #expect(try cluster.runningOn(c, "busy") == ["host2"])
                // The stopped source copy and the destination are the same tree.
                #expect(try Self.layerDigest(cluster.upper("host2", "busy")) == Self.layerDigest(cluster.upper("host1", "busy")))
                #expect(try TreeManifest.build(root: cluster.upper("host2", "busy")) == TreeManifest.build(root: cluster.upper("host1", "busy")))
            }
        }

        @Test func aCutConnectionMidCopyLeavesTheGuestRunningAtTheSource() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                // The relay's progress is what times the cut (DirectTransferClusterTests cut a direct one).
                c.moveTransport.mode = .relay
                var r = Controller.GuestRequest(spec: GuestSpec(name: "cut", template: "busybox"))
                r.host = "host1"
                _ = try c.createGuest(r)
                _ = try c.execGuest("cut", argv: ["/bin/sh", "-c", "head -c 120000000 /dev/urandom > /big"], timeout: 120)
                _ = try c.stopGuest("cut", timeout: 5)
                let original = try Self.layerDigest(cluster.upper("host1", "cut"))
                _ = try c.startGuest("cut")
                let source = cluster.state.hosts[0]
                let cutOnce = CutSwitch()
                do throws(FleetError) {
                    _ = try c.moveGuest("cut", to: "host2") { p in
                        guard p.step == "precopy", let total = p.totalBytes, p.bytes > total / 2, cutOnce.fire() else { return }
                        // Cut every SSH session to the source: its sshd's session processes die.
                        let pids = (try? String(contentsOfFile: "/proc/\(source.sshdPid)/task/\(source.sshdPid)/children", encoding: .utf8)) ?? ""
                        for pid in pids.split(separator: " ").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
                    }
                    Issue.record("the move survived a cut connection")
                } catch {
                    #expect(error.message.contains("rolled back"), "\(error.message)")
                }
                #expect(cutOnce.fired)
                let fresh = try cluster.controller()
                #expect(try cluster.runningOn(fresh, "cut") == ["host1"])
                #expect(try fresh.store.placement(of: "cut")?.host == "host1")
                #expect(!cluster.stagingExists("host2", "cut"))
                _ = try fresh.stopGuest("cut", timeout: 5)
                #expect(try Self.layerDigest(cluster.upper("host1", "cut")) == original)
            }
        }

        @Test(arguments: transports) func aFullDestinationFailsCleanly(transport: LayerTransportMode) throws {
            try withCluster(hosts: 2, smallDisks: [2: 48 << 20]) { cluster in
                let c = try cluster.busyboxController()
                c.moveTransport.mode = transport
                var r = Controller.GuestRequest(spec: GuestSpec(name: "fat", template: "busybox"))
                r.host = "host1"
                r.diskBytes = 1 << 20
                _ = try c.createGuest(r)
                _ = try c.execGuest("fat", argv: ["/bin/sh", "-c", "head -c 80000000 /dev/urandom > /big"], timeout: 120)
                do throws(FleetError) {
                    _ = try c.moveGuest("fat", to: "host2")
                    Issue.record("moved 80 MB into 48 MB")
                } catch {
                    #expect(error.message.contains("disk is full") || error.message.contains("No space"), "\(error.message)")
                    #expect(error.message.contains("rolled back"))
                }
                #expect(try cluster.runningOn(c, "fat") == ["host1"])
                #expect(!cluster.stagingExists("host2", "fat"))
                #expect(try cluster.agentGuests(c, "host2").isEmpty)
            }
        }
    }
}

/// Fires once.
final class CutSwitch: Sendable {
    private let state = Atomic<Bool>(false)
    var fired: Bool { state.load(ordering: .sequentiallyConsistent) }
    /// True for the first caller only.
    func fire() -> Bool {
        state.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged
    }
}
