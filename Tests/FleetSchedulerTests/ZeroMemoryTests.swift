import FleetScheduler
import FleetTestSupport
import Testing

@Suite(.tags(.unit)) struct ZeroMemoryTests {
    typealias F = TestFleet

    @Test func guestsWithoutMemorySpreadByCount() {
        // Placing them changes no free fraction, so "fewer guests" decides.
        let hosts = [F.host("a", memory: 8 * F.gib, cpus: 64), F.host("b", memory: 16 * F.gib, cpus: 64), F.host("c", memory: 12 * F.gib, cpus: 64)]
        var scheduler = Scheduler(hosts: hosts, placed: [], policy: .spread)
        let result = scheduler.placeAll((1...9).map { F.guest("z\($0)", memory: 0, disk: 0) })
        #expect(F.counts(result.placed) == ["a": 3, "b": 3, "c": 3])
        #expect(result.placed.prefix(3).map(\.host) == ["a", "b", "c"])
    }
}
