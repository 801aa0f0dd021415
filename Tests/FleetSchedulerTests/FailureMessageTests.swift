import FleetScheduler
import FleetTestSupport
import Testing

@Suite(.tags(.unit)) struct FailureMessageTests {
    typealias F = TestFleet

    @Test func nothingFitsListsEveryHostWithItsReason() {
        let hosts = [
            F.host("host-d", labels: ["zone": "us"]),
            F.host("host-a", cordoned: true),
            F.host("host-c", labels: ["zone": "eu"]),
            F.host("host-b", memory: 4 * F.gib, reserved: F.gib, labels: ["zone": "eu"]),
        ]
        let placed = [
            PlacedGuest(guest: F.guest("filler", memory: 2816 * F.mib), host: "host-b"),
            PlacedGuest(guest: F.guest("web3", group: "web"), host: "host-c"),
        ]
        var scheduler = Scheduler(hosts: hosts, placed: placed)
        guard case .failure(let failure) = scheduler.place(F.guest("web7", memory: 512 * F.mib, group: "web", requires: ["zone": "eu"])) else {
            Issue.record("web7 fits nowhere")
            return
        }
        #expect(failure.guest == "web7")
        #expect(failure.host == nil)
        #expect(failure.rejections.map(\.host) == ["host-a", "host-b", "host-c", "host-d"])
        #expect(failure.description == """
            cannot place guest web7: no host fits:
              host-a: cordoned
              host-b: memory: needs 512M, 256M free of 4G (1G reserved)
              host-c: anti-affinity: guest web3 of group web is there
              host-d: label zone=eu required, host has zone=us
              to place it: free or add memory (stop or remove guests, or add hosts); \
            add hosts or take the guest out of its anti-affinity group; \
            label more hosts or relax the guest's required labels; uncordon a host (vfleet host uncordon NAME)
            """)
    }

    @Test func bigFleetsAreSummarised() {
        // 30 hosts too small in memory, 15 short of cpu, 5 cordoned (listed
        // last although first by name: they say least about what to change).
        let hosts = (0..<30).map { F.host("m" + twoDigits($0), memory: F.gib) }
            + (0..<15).map { F.host("c" + twoDigits($0), cpus: 1) }
            + (0..<5).map { F.host("a" + twoDigits($0), cordoned: true) }
        var scheduler = Scheduler(hosts: hosts, placed: [])
        guard case .failure(let failure) = scheduler.place(F.guest("big", memory: 2 * F.gib, cpuMillis: 2000)) else {
            Issue.record("big fits nowhere")
            return
        }
        #expect(failure.rejections.count == 50)
        let lines = failure.description.split(separator: "\n").map(String.init)
        // Header, 20 hosts, the summary, the advice.
        #expect(lines.count == 23)
        #expect(lines[1] == "  c00: cpu: needs 2 cpus, 1 free of 1")
        #expect(lines[20] == "  m04: memory: needs 2G, 1G free of 1G")
        #expect(lines[21] == "  …and 30 more hosts: 25 for memory, 5 for cordoned")
    }

    private func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    @Test func noHostsEnrolled() {
        var scheduler = Scheduler(hosts: [], placed: [])
        guard case .failure(let failure) = scheduler.place(F.guest("web1")) else {
            Issue.record("there are no hosts")
            return
        }
        #expect(failure.rejections.isEmpty)
        #expect(failure.description == "cannot place guest web1: no hosts are enrolled (enrol one with vfleet host add NAME --address ADDR)")
    }

    @Test func placeAllReportsEachFailure() {
        var scheduler = Scheduler(hosts: [F.host("a", memory: 4 * F.gib)], placed: [])
        let result = scheduler.placeAll([
            F.guest("g1", memory: 3 * F.gib), F.guest("g2", memory: 3 * F.gib), F.guest("g3", memory: F.gib),
        ])
        #expect(result.placed.map(\.guest.name) == ["g1", "g3"])
        #expect(result.failed.map(\.guest) == ["g2"])
        #expect(result.failed.first?.rejections.first?.reason == "memory: needs 3G, 1G free of 4G")
    }
}
