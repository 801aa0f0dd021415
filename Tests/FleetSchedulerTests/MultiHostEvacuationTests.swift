import FleetScheduler
import FleetTestSupport
import Testing

/// Draining several hosts at once (`vfleet host evacuate H1 H2 …`): no guest
/// of one lands on another, so none moves twice.
@Suite(.tags(.unit)) struct MultiHostEvacuationTests {
    typealias F = TestFleet

    /// The drained hosts are the emptiest once their guests are planned
    /// away, so spread would pick them first if they were not excluded.
    @Test func noGuestLandsOnAnotherDrainedHost() {
        let hosts = ["a", "b", "c", "d"].map { F.host($0, memory: 32 * F.gib, cpus: 16) }
        let onA = (1...5).map { PlacedGuest(guest: F.guest("a\($0)", memory: 2 * F.gib), host: "a") }
        let onB = (1...5).map { PlacedGuest(guest: F.guest("b\($0)", memory: 3 * F.gib), host: "b") }
        let staying = [PlacedGuest(guest: F.guest("c0", memory: 8 * F.gib), host: "c"),
                       PlacedGuest(guest: F.guest("d0", memory: 8 * F.gib), host: "d")]
        let plan = Scheduler.planEvacuation(of: ["a", "b"], hosts: hosts, placed: onA + onB + staying, policy: .spread)
        #expect(plan.hosts == ["a", "b"])
        #expect(plan.unplaceable.isEmpty)
        #expect(Set(plan.moves.map(\.guest.name)) == Set((onA + onB).map(\.guest.name)))
        #expect(plan.moves.allSatisfy { $0.host == "c" || $0.host == "d" }, "\(plan.moves.map { "\($0.guest.name)→\($0.host)" })")
        for m in plan.moves { #expect(plan.source(of: m.guest.name) == String(m.guest.name.prefix(1))) }
        let memories = plan.moves.map(\.guest.memoryBytes)
        #expect(memories == memories.sorted(by: >))
        #expect(PlacementChecker.violations(hosts: hosts.filter { $0.name == "c" || $0.name == "d" }, existing: staying, new: plan.moves) == [])
    }

    @Test func capacityOfTheRemainingHostsBounds() {
        let hosts = [F.host("a", memory: 64 * F.gib), F.host("b", memory: 64 * F.gib), F.host("c", memory: 10 * F.gib)]
        let leaving = (1...3).map { PlacedGuest(guest: F.guest("a\($0)", memory: 4 * F.gib), host: "a") }
            + (1...3).map { PlacedGuest(guest: F.guest("b\($0)", memory: 4 * F.gib), host: "b") }
        let plan = Scheduler.planEvacuation(of: ["a", "b"], hosts: hosts, placed: leaving, policy: .binpack)
        // c holds two of the six; the rest fit nowhere, each with every host's reason.
        #expect(TestFleet.counts(plan.moves) == ["c": 2])
        #expect(plan.unplaceable.count == 4)
        for failure in plan.unplaceable {
            #expect(failure.rejections.map(\.host) == ["a", "b", "c"])
            #expect(failure.rejections.filter { $0.kind == .evacuating }.map(\.host) == ["a", "b"])
            #expect(failure.rejections.last?.kind == .memory)
            #expect(failure.description.contains("a: being evacuated") && failure.description.contains("b: being evacuated"))
            #expect(plan.source(of: failure.guest) == String(failure.guest.prefix(1)))
        }
        #expect(PlacementChecker.violations(hosts: hosts, existing: [], new: plan.moves) == [])
    }

    /// Groupmates on different drained hosts still avoid each other, and a
    /// drained host's groupmate does not keep a guest off a remaining host.
    @Test func antiAffinityHoldsAcrossTheDrainedHosts() {
        let hosts = ["a", "b", "c", "d", "e"].map { F.host($0) }
        let web = [PlacedGuest(guest: F.guest("web1", group: "web"), host: "a"),
                   PlacedGuest(guest: F.guest("web2", group: "web"), host: "b"),
                   PlacedGuest(guest: F.guest("web3", group: "web"), host: "b")]
        let elsewhere = [PlacedGuest(guest: F.guest("web0", group: "web"), host: "c")]
        let plan = Scheduler.planEvacuation(of: ["a", "b"], hosts: hosts, placed: web + elsewhere, policy: .spread)
        // c has web0; d and e take one each; the third fits nowhere.
        #expect(Set(plan.moves.map(\.host)) == ["d", "e"])
        #expect(plan.unplaceable.count == 1)
        let kinds = plan.unplaceable.first.map { $0.rejections.map(\.kind) }
        #expect(kinds == [.evacuating, .evacuating, .antiAffinity, .antiAffinity, .antiAffinity])
        #expect(PlacementChecker.violations(hosts: hosts, existing: elsewhere, new: plan.moves) == [])
    }

    @Test func randomDrainOfARackKeepsEveryRule() {
        let hosts = RandomFleet.hosts(count: 200, seed: 31).map { host -> HostCapacity in
            var open = host
            open.cordoned = false
            open.reachable = true
            return open
        }
        var scheduler = Scheduler(hosts: hosts, placed: [])
        let placed = scheduler.placeAll(RandomFleet.guests(count: 1500, seed: 32)).placed
        let rack = Set(hosts.prefix(20).map(\.name))
        let leaving = placed.filter { rack.contains($0.host) }
        let plan = Scheduler.planEvacuation(of: rack, hosts: hosts, placed: placed, policy: .spread)
        #expect(!leaving.isEmpty)
        #expect(plan.moves.count + plan.unplaceable.count == leaving.count)
        #expect(plan.moves.allSatisfy { !rack.contains($0.host) })
        for g in leaving { #expect(plan.source(of: g.guest.name) == g.host) }
        let staying = placed.filter { !rack.contains($0.host) }
        #expect(PlacementChecker.violations(hosts: hosts, existing: staying, new: plan.moves) == [])
        #expect(Scheduler.planEvacuation(of: rack, hosts: hosts, placed: placed.reversed(), policy: .spread) == plan)
    }
}
