import FleetScheduler
import FleetTestSupport
import Testing

@Suite(.tags(.unit)) struct EvacuationTests {
    typealias F = TestFleet

    @Test func movesEveryGuestWhenThereIsRoom() {
        let hosts = ["src", "a", "b", "c"].map { F.host($0, memory: 32 * F.gib, cpus: 16) }
        let leaving = (1...12).map { PlacedGuest(guest: F.guest("g\($0)", memory: UInt64($0 % 3 + 1) * F.gib), host: "src") }
        let staying = [PlacedGuest(guest: F.guest("other", memory: 20 * F.gib), host: "a")]
        let plan = Scheduler.planEvacuation(of: "src", hosts: hosts, placed: leaving + staying, policy: .spread)
        #expect(plan.hosts == ["src"])
        #expect(plan.unplaceable.isEmpty)
        #expect(Set(plan.moves.map(\.guest.name)) == Set(leaving.map(\.guest.name)))
        #expect(plan.moves.allSatisfy { $0.host != "src" })
        // Biggest memory first.
        let memories = plan.moves.map(\.guest.memoryBytes)
        #expect(memories == memories.sorted(by: >))
        #expect(PlacementChecker.violations(hosts: hosts.filter { $0.name != "src" }, existing: staying, new: plan.moves) == [])
    }

    @Test func reportsGuestsThatFitNowhere() {
        let hosts = [F.host("src", memory: 64 * F.gib)] + ["a", "b", "c"].map { F.host($0, memory: 16 * F.gib) }
        let small = (1...8).map { PlacedGuest(guest: F.guest("s\($0)", memory: 2 * F.gib), host: "src") }
        let big = (1...2).map { PlacedGuest(guest: F.guest("big\($0)", memory: 20 * F.gib), host: "src") }
        let plan = Scheduler.planEvacuation(of: "src", hosts: hosts, placed: small + big, policy: .binpack)
        #expect(plan.moves.count == 8)
        #expect(plan.unplaceable.map(\.guest) == ["big1", "big2"])
        let reasons = plan.unplaceable[0].rejections
        #expect(reasons.map(\.host) == ["a", "b", "c", "src"])
        #expect(reasons.last == HostRejection(host: "src", reason: "being evacuated", kind: .evacuating))
        #expect(reasons.first?.reason.hasPrefix("memory: needs 20G") == true)
        #expect(PlacementChecker.violations(hosts: hosts, existing: [], new: plan.moves) == [])
    }

    @Test func neverPutsTwoOfAGroupTogether() {
        let hosts = ["src", "a", "b", "c"].map { F.host($0) }
        let web = (1...4).map { PlacedGuest(guest: F.guest("web\($0)", group: "web"), host: "src") }
        let elsewhere = [PlacedGuest(guest: F.guest("web0", group: "web"), host: "a")]
        let plan = Scheduler.planEvacuation(of: "src", hosts: hosts, placed: web + elsewhere, policy: .spread)
        // a already has web0; b and c take one each; the fourth fits nowhere.
        #expect(Set(plan.moves.map(\.host)) == ["b", "c"])
        #expect(plan.unplaceable.count == 2)
        #expect(plan.unplaceable.allSatisfy { failure in failure.rejections.filter { $0.kind == .antiAffinity }.count == 3 })
        #expect(PlacementChecker.violations(hosts: hosts, existing: elsewhere, new: plan.moves) == [])
    }

    @Test func movesCountAgainstTheirDestination() {
        let hosts = [F.host("src", memory: 64 * F.gib), F.host("a", memory: 10 * F.gib), F.host("b", memory: 10 * F.gib)]
        let leaving = (1...6).map { PlacedGuest(guest: F.guest("g\($0)", memory: 4 * F.gib), host: "src") }
        let plan = Scheduler.planEvacuation(of: "src", hosts: hosts, placed: leaving, policy: .spread)
        #expect(TestFleet.counts(plan.moves) == ["a": 2, "b": 2])
        #expect(plan.unplaceable.count == 2)
        #expect(PlacementChecker.violations(hosts: hosts, existing: [], new: plan.moves) == [])
    }

    @Test func randomEvacuationKeepsEveryRule() {
        let hosts = RandomFleet.hosts(count: 200, seed: 21).map { host -> HostCapacity in
            var open = host
            open.cordoned = false
            open.reachable = true
            return open
        }
        var scheduler = Scheduler(hosts: hosts, placed: [])
        let placed = scheduler.placeAll(RandomFleet.guests(count: 1500, seed: 22)).placed
        let source = placed[0].host
        let leaving = placed.filter { $0.host == source }
        let plan = Scheduler.planEvacuation(of: source, hosts: hosts, placed: placed, policy: .spread)
        #expect(plan.moves.count + plan.unplaceable.count == leaving.count)
        #expect(plan.moves.allSatisfy { $0.host != source })
        let staying = placed.filter { $0.host != source }
        #expect(PlacementChecker.violations(hosts: hosts, existing: staying, new: plan.moves) == [])
        #expect(Scheduler.planEvacuation(of: source, hosts: hosts, placed: placed.reversed(), policy: .spread) == plan)
    }
}
