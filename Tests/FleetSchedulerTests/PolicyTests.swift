import FleetScheduler
import FleetTestSupport
import Testing

@Suite(.tags(.unit)) struct PolicyTests {
    typealias F = TestFleet

    @Test func spreadSpreadsEvenly() {
        let hosts = ["a", "b", "c"].map { F.host($0, memory: 64 * F.gib, cpus: 32) }
        var scheduler = Scheduler(hosts: hosts, placed: [], policy: .spread)
        let result = scheduler.placeAll((1...30).map { F.guest("g\($0)") })
        #expect(result.failed.isEmpty)
        #expect(F.counts(result.placed) == ["a": 10, "b": 10, "c": 10])
        #expect(scheduler.allocation(of: "b") == HostAllocation(memoryBytes: 10 * F.gib, cpuMillis: 10_000, diskBytes: 10 * F.gib, guests: 10))
    }

    @Test func spreadPrefersTheLargestFreeShareAfterPlacement() {
        // Before placement both hosts are 50% free; after placing 2G the big
        // host is 48.4% free and the small one 37.5%.
        let small = F.host("a-small", memory: 16 * F.gib)
        let big = F.host("b-big", memory: 64 * F.gib)
        let placed = [
            PlacedGuest(guest: F.guest("s", memory: 8 * F.gib), host: "a-small"),
            PlacedGuest(guest: F.guest("b", memory: 32 * F.gib), host: "b-big"),
        ]
        var scheduler = Scheduler(hosts: [small, big], placed: placed, policy: .spread)
        #expect(scheduler.place(F.guest("g", memory: 2 * F.gib)) == .success("b-big"))
    }

    @Test func spreadBreaksTiesByGuestCountThenName() {
        let hosts = ["c", "b", "a"].map { F.host($0, memory: 8 * F.gib) }
        // a and b are equally full, but a has two guests to b's one.
        let placed = [
            PlacedGuest(guest: F.guest("a1", memory: F.gib), host: "a"),
            PlacedGuest(guest: F.guest("a2", memory: F.gib), host: "a"),
            PlacedGuest(guest: F.guest("b1", memory: 2 * F.gib), host: "b"),
            PlacedGuest(guest: F.guest("c1", memory: 2 * F.gib), host: "c"),
        ]
        var scheduler = Scheduler(hosts: hosts, placed: placed, policy: .spread)
        #expect(scheduler.place(F.guest("x")) == .success("b"))
        var fresh = Scheduler(hosts: hosts, placed: [], policy: .spread)
        #expect(fresh.place(F.guest("y")) == .success("a"))
    }

    @Test func binpackFillsOneHostBeforeTheNext() {
        let hosts = ["a", "b", "c"].map { F.host($0, memory: 8 * F.gib, cpus: 64) }
        var scheduler = Scheduler(hosts: hosts, placed: [], policy: .binpack)
        let result = scheduler.placeAll((1...20).map { F.guest("g\($0)") })
        #expect(result.failed.isEmpty)
        #expect(result.placed.prefix(8).allSatisfy { $0.host == "a" })
        #expect(result.placed.dropFirst(8).prefix(8).allSatisfy { $0.host == "b" })
        #expect(F.counts(result.placed) == ["a": 8, "b": 8, "c": 4])
    }

    @Test func binpackTakesTheTightestFit() {
        let hosts = [F.host("a", memory: 16 * F.gib), F.host("b", memory: 4 * F.gib), F.host("c", memory: 3 * F.gib)]
        var scheduler = Scheduler(hosts: hosts, placed: [], policy: .binpack)
        #expect(scheduler.place(F.guest("g1", memory: 4 * F.gib)) == .success("b"))
        #expect(scheduler.place(F.guest("g2", memory: 2 * F.gib)) == .success("c"))
        #expect(scheduler.place(F.guest("g3", memory: 2 * F.gib)) == .success("a"))
    }

    @Test func binpackSkipsTightHostsThatMissCpu() {
        let hosts = [F.host("a", memory: 2 * F.gib, cpus: 1), F.host("b", memory: 8 * F.gib, cpus: 8)]
        var scheduler = Scheduler(hosts: hosts, placed: [], policy: .binpack)
        #expect(scheduler.place(F.guest("g", memory: F.gib, cpuMillis: 2000)) == .success("b"))
    }

    @Test(arguments: PlacementPolicy.allCases)
    func sameInputSameOutput(_ policy: PlacementPolicy) {
        let hosts = RandomFleet.hosts(count: 120, seed: 7)
        let guests = RandomFleet.guests(count: 1500, seed: 8)
        func run() -> ([PlacedGuest], [PlacementFailure]) {
            var scheduler = Scheduler(hosts: hosts, placed: [], policy: policy)
            let result = scheduler.placeAll(guests)
            return (result.placed, result.failed)
        }
        let first = run()
        let second = run()
        #expect(first.0 == second.0)
        #expect(first.1 == second.1)
        // The order hosts are listed in must not matter either.
        var shuffled = Scheduler(hosts: hosts.reversed(), placed: [], policy: policy)
        #expect(shuffled.placeAll(guests).placed == first.0)
    }
}
