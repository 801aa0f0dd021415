import FleetController
import FleetProtocol
import Foundation
import Testing

extension ClusterTests {
    /// --disk across the fleet: the scheduler counts it against a host's
    /// reported free disk, and a move keeps the limit at the destination.
    @Suite struct DiskLimit {
        @Test func aMovedGuestKeepsItsDiskLimitAndTheSchedulerCountsDisk() throws {
            try withCluster(hosts: 2, smallDisks: [2: 96 << 20]) { cluster in
                let c = try cluster.busyboxController()
                var r = Controller.GuestRequest(spec: GuestSpec(name: "dsk", template: "busybox", limits: GuestLimits(diskBytes: 16 << 20)))
                r.diskBytes = 16 << 20
                r.host = "host1"
                _ = try c.createGuest(r)
                let wrote = try c.execGuest("dsk", argv: ["/bin/sh", "-c", "echo kept > /kept && dd if=/dev/zero of=/fill bs=1M count=40 2>&1"], timeout: 60)
                #expect(wrote.stdout.contains("No space left on device"), "\(wrote.stdout)")
                _ = try c.execGuest("dsk", argv: ["/bin/sh", "-c", "rm /fill"], timeout: 30)

                // A host's disk mounts live in its own mount namespace only.
                let mountinfo = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
                #expect(!mountinfo.split(separator: "\n").contains { $0.contains(cluster.directory) && $0.contains("/layer ") }, "\(mountinfo)")

                _ = try c.moveGuest("dsk", to: "host2")
                #expect(try cluster.runningOn(c, "dsk") == ["host2"])
                let status = try #require(try cluster.agentGuests(c, "host2").first { $0.name == "dsk" })
                #expect(status.limits.diskBytes == 16 << 20)
                #expect(try c.execGuest("dsk", argv: ["/bin/cat", "/kept"], timeout: 30).stdout == "kept\n")
                let there = try c.execGuest("dsk", argv: ["/bin/sh", "-c", "dd if=/dev/zero of=/fill bs=1M count=40 2>&1; df -k / | tail -1"], timeout: 60)
                #expect(there.stdout.contains("No space left on device"), "\(there.stdout)")

                // host2 reports about 96M free: a guest asking for more disk does not fit there.
                var big = Controller.GuestRequest(spec: GuestSpec(name: "big", template: "busybox", limits: GuestLimits(diskBytes: 200 << 20)))
                big.diskBytes = 200 << 20
                big.host = "host2"
                do throws(FleetError) {
                    _ = try c.createGuest(big)
                    Issue.record("a guest with --disk 200M was placed on a host with 96M")
                } catch {
                    #expect(error.message.contains("disk: needs 200M"), "\(error.message)")
                }
                _ = try c.destroyGuest("dsk", force: true)
            }
        }
    }
}
