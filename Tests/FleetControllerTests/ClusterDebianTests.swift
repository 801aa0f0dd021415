import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import Glibc
import Testing

extension ClusterTests {
    @Suite struct Debian {
        /// Asks systemd in the guest, through the controller, until it answers one of `wanted`.
        static func systemState(_ c: Controller, _ guest: String, wanted: Set<String>, seconds: Double = 60) -> String {
            var last = ""
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                let r = try? c.execGuest(guest, argv: ["systemctl", "is-system-running"], timeout: 10)
                last = (r?.stdout ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                if wanted.contains(last) { return last }
                usleep(200_000)
            }
            return last
        }

        static func hostBase(_ status: GuestStatus?) -> UInt32? {
            status?.hostIDs.flatMap { $0.split(separator: "-").first.flatMap { UInt32($0) } }
        }

        @Test func aRunningDebianGuestMovesAndComesBackUp() throws {
            let rootfs = try DebianTestTemplate.rootfs(agentBinary: TestCluster.agentBinary)
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.controller()
                try cluster.enrolAll(c)
                _ = try c.addTemplate(name: "debian", path: rootfs)
                _ = try c.addTemplate(name: "busybox", path: nil, busybox: true)
                // Each test host counts context ids from its own block, and
                // host2 has a guest already: there the Debian guest gets the
                // second id of host2's block, so other host ids, and its
                // layer is shifted into them.
                var filler = Controller.GuestRequest(spec: GuestSpec(name: "filler", template: "busybox"))
                filler.host = "host2"
                _ = try c.createGuest(filler)
                var r = Controller.GuestRequest(spec: GuestSpec(name: "deb1", template: "debian", initCommand: DebianTestTemplate.systemdInit,
                                                                initStyle: .systemd, network: .host))
                r.host = "host1"
                _ = try c.createGuest(r)
                #expect(Self.systemState(c, "deb1", wanted: ["running", "degraded"]) == "running")
                let write = try c.execGuest("deb1", argv: ["/bin/sh", "-c", "echo before-the-move > /root/marker && chown 1000:1000 /root/marker"])
                #expect(write.exitCode == 0, "\(write.stderr)")
                let baseBefore = try #require(Self.hostBase(try cluster.agentGuests(c, "host1").first { $0.name == "deb1" }))

                let watcher = try TwoHostWatcher(cluster: cluster, guests: ["deb1"])
                let result = try c.moveGuest("deb1", to: "host2")
                let seen = watcher.finish()
                #expect(seen.violations.isEmpty, "\(seen.violations)")
                #expect(result.templateSent)
                #expect(try cluster.runningOn(c, "deb1") == ["host2"])

                // systemd came back up at the destination, with the guest's files and owners.
                #expect(Self.systemState(c, "deb1", wanted: ["running", "degraded"]) == "running")
                let check = try c.execGuest("deb1", argv: ["/bin/sh", "-c", "cat /root/marker; stat -c '%u %g' /root/marker"])
                #expect(check.stdout == "before-the-move\n1000 1000\n", "\(check.stdout) \(check.stderr)")
                let baseAfter = try #require(Self.hostBase(try cluster.agentGuests(c, "host2").first { $0.name == "deb1" }))
                #expect(baseAfter != baseBefore)
                let first1 = try #require(cluster.state.hosts[0].firstContextId), first2 = try #require(cluster.state.hosts[1].firstContextId)
                #expect(baseBefore == UInt32(first1) * 65536)
                #expect(baseAfter == UInt32(first2 + 1) * 65536)
                var st = stat()
                #expect(stat(cluster.upper("host2", "deb1") + "/root/marker", &st) == 0)
                #expect(st.st_uid == baseAfter + 1000 && st.st_gid == baseAfter + 1000)
                #expect(try cluster.agentGuests(c, "host1").contains { $0.name == "deb1" } == false)
                // The agent's stop report reaches the controller: systemd's own halt, in time.
                let stopped = try c.stopGuest("deb1", timeout: 30)
                let report = try #require(stopped.guest?.stop)
                #expect(report.request == "SIGRTMIN+3" && report.clean && report.killed == 0, "\(report.summary)")
            }
        }
    }
}
