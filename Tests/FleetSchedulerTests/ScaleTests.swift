import FleetScheduler
import FleetTestSupport
import Testing

/// A fleet of moderate size, to show the indexed path copes (no timing here:
/// bench/scheduler/run.sh measures speed in a release build).
@Suite(.tags(.unit)) struct ScaleTests {
    @Test(arguments: PlacementPolicy.allCases)
    func twentyThousandGuestsOnTwoThousandHosts(_ policy: PlacementPolicy) {
        let hosts = (0..<2000).map { i in
            TestFleet.host(
                "host-\(i)", memory: [16, 32, 64][i % 3] * TestFleet.gib, cpus: [8, 16, 32][i % 3],
                disk: 1000 * TestFleet.gib, reserved: TestFleet.gib, labels: ["zone": RandomFleet.zones[(i / 3) % 3], "disk": i % 2 == 0 ? "ssd" : "hdd"], cordoned: i % 50 == 0)
        }
        let guests = RandomFleet.guests(count: 20_000, seed: 5)
        var scheduler = Scheduler(hosts: hosts, placed: [], policy: policy)
        let result = scheduler.placeAll(guests)
        #expect(result.failed.map(\.description).prefix(1) == [])
        #expect(result.placed.count == guests.count)
        #expect(PlacementChecker.violations(hosts: hosts, existing: [], new: result.placed) == [])
    }
}
