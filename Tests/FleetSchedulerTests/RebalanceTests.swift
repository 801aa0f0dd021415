import FleetScheduler
import FleetTestSupport
import Testing

@Suite(.tags(.unit)) struct RebalanceTests {
    typealias F = TestFleet

    @Test func anEvenFleetNeedsNoMove() {
        let hosts = ["a", "b"].map { F.host($0, memory: 8 * F.gib) }
        let placed = [PlacedGuest(guest: F.guest("g1", memory: 2 * F.gib), host: "a"),
                      PlacedGuest(guest: F.guest("g2", memory: 2 * F.gib), host: "b")]
        let plan = Scheduler.planRebalance(hosts: hosts, placed: placed, policy: .spread, maxMoves: 10)
        #expect(plan.moves.isEmpty)
        #expect(plan.scoreBefore == 0 && plan.scoreAfter == 0)
    }

    @Test func movesFromTheFullestHostUntilEven() {
        let hosts = ["a", "b", "c"].map { F.host($0, memory: 8 * F.gib) }
        let placed = (1...6).map { PlacedGuest(guest: F.guest("g\($0)", memory: F.gib), host: "a") }
        let plan = Scheduler.planRebalance(hosts: hosts, placed: placed, policy: .spread, maxMoves: 10)
        #expect(plan.moves.count == 4)
        #expect(plan.moves.allSatisfy { $0.from == "a" })
        #expect(F.countsAfter(placed, plan) == ["a": 2, "b": 2, "c": 2])
        #expect(plan.scoreBefore > 0.3)
        #expect(plan.scoreAfter < 1e-9)
        // Each move lowers the score; the last one is the plan's result.
        let scores = [plan.scoreBefore] + plan.moves.map(\.score)
        #expect(zip(scores, scores.dropFirst()).allSatisfy { $0 > $1 })
        #expect(plan.moves.last?.score == plan.scoreAfter)
    }

    @Test func stopsAtMaxMoves() {
        let hosts = ["a", "b", "c"].map { F.host($0, memory: 8 * F.gib) }
        let placed = (1...6).map { PlacedGuest(guest: F.guest("g\($0)", memory: F.gib), host: "a") }
        let plan = Scheduler.planRebalance(hosts: hosts, placed: placed, policy: .spread, maxMoves: 1)
        #expect(plan.moves.count == 1)
        #expect(plan.scoreAfter == plan.moves[0].score && plan.scoreAfter < plan.scoreBefore)
    }

    @Test func cordonedHostsNeitherGiveNorTake() {
        let hosts = [F.host("a", memory: 8 * F.gib), F.host("b", memory: 8 * F.gib), F.host("c", memory: 8 * F.gib, cordoned: true)]
        let placed = (1...4).map { PlacedGuest(guest: F.guest("a\($0)", memory: F.gib), host: "a") }
            + (1...4).map { PlacedGuest(guest: F.guest("c\($0)", memory: F.gib), host: "c") }
        let plan = Scheduler.planRebalance(hosts: hosts, placed: placed, policy: .spread, maxMoves: 10)
        #expect(plan.moves.allSatisfy { $0.from == "a" && $0.to == "b" }, "\(plan.moves)")
        #expect(F.countsAfter(placed, plan) == ["a": 2, "b": 2, "c": 4])
    }

    @Test func aMoveTheSchedulerRefusesIsNotPlanned() {
        // b is emptier but lacks the label the guests require; group keeps web apart.
        let hosts = [F.host("a", memory: 8 * F.gib, labels: ["disk": "ssd"]), F.host("b", memory: 8 * F.gib),
                     F.host("c", memory: 8 * F.gib, labels: ["disk": "ssd"])]
        let placed = (1...4).map { PlacedGuest(guest: F.guest("db\($0)", memory: F.gib, requires: ["disk": "ssd"]), host: "a") }
        let plan = Scheduler.planRebalance(hosts: hosts, placed: placed, policy: .spread, maxMoves: 10)
        #expect(!plan.moves.isEmpty)
        #expect(plan.moves.allSatisfy { $0.to == "c" }, "\(plan.moves)")
    }

    @Test func memoryIsWeighedAgainstWhatEachHostCanHold() {
        // A guest of 2G is a quarter of a (8G) but a half of b (4G usable of 6G).
        let hosts = [F.host("a", memory: 8 * F.gib), F.host("b", memory: 6 * F.gib, reserved: 2 * F.gib)]
        let placed = [PlacedGuest(guest: F.guest("x", memory: 2 * F.gib), host: "a"),
                      PlacedGuest(guest: F.guest("y", memory: 2 * F.gib), host: "a")]
        let plan = Scheduler.planRebalance(hosts: hosts, placed: placed, policy: .spread, maxMoves: 10)
        #expect(abs(plan.scoreBefore - 0.25) < 1e-9)
        #expect(plan.moves.count == 1)
        #expect(abs(plan.scoreAfter - 0.125) < 1e-9)
    }

    @Test func thePlanDoesNotDependOnTheOrderOfPlacedGuests() {
        let hosts = ["a", "b", "c", "d"].map { F.host($0, memory: 16 * F.gib) }
        var placed = (1...9).map { PlacedGuest(guest: F.guest("g\($0)", memory: UInt64($0 % 3 + 1) * F.gib), host: $0 < 7 ? "a" : "b") }
        let first = Scheduler.planRebalance(hosts: hosts, placed: placed, policy: .spread, maxMoves: 10)
        placed.reverse()
        let second = Scheduler.planRebalance(hosts: hosts.reversed(), placed: placed, policy: .spread, maxMoves: 10)
        #expect(first == second)
        #expect(!first.moves.isEmpty)
    }
}

extension TestFleet {
    /// Guest count per host once a plan's moves are made.
    static func countsAfter(_ placed: [PlacedGuest], _ plan: RebalancePlan) -> [String: Int] {
        var at = Dictionary(uniqueKeysWithValues: placed.map { ($0.guest.name, $0.host) })
        for m in plan.moves { at[m.guest] = m.to }
        return at.values.reduce(into: [:]) { $0[$1, default: 0] += 1 }
    }
}
