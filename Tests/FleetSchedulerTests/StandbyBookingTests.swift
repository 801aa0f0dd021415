import FleetScheduler
import FleetTestSupport
import Testing

/// standby(for:runningOn:replicas:): the replicas a host already holds
/// count on it, so that standbys spread instead of all landing on the
/// emptiest host (bench/replication/failover.sh saw ten on one).
@Suite(.tags(.unit)) struct StandbyBookingTests {
    typealias F = TestFleet

    /// Ten guests on a, standbys chosen one after the other, each seeing
    /// the replicas chosen before it: they spread over b, c and d.
    @Test func tenStandbysSpreadOverTheOtherHosts() {
        let hosts = [F.host("a", memory: 64 * F.gib), F.host("b"), F.host("c"), F.host("d")]
        let guests = (0..<10).map { F.guest("g\($0)", memory: 1 * F.gib) }
        let scheduler = Scheduler(hosts: hosts, placed: guests.map { PlacedGuest(guest: $0, host: "a") }, policy: .spread)
        var replicas: [PlacedGuest] = []
        for guest in guests {
            guard case .success(let standby) = scheduler.standby(for: guest, runningOn: "a", replicas: replicas) else {
                Issue.record("no standby for \(guest.name)")
                return
            }
            replicas.append(PlacedGuest(guest: guest, host: standby))
        }
        let counts = F.counts(replicas)
        #expect(counts["a"] == nil)
        #expect(Set(counts.keys) == ["b", "c", "d"], "\(counts)")
        #expect(counts.values.allSatisfy { $0 >= 3 && $0 <= 4 }, "\(counts)")
        // The running guests' placement is unchanged: nothing was booked.
        #expect(scheduler.allocation(of: "b")?.guests == 0)
        #expect(scheduler.allocation(of: "a")?.guests == 10)
    }

    /// Without the bookings all ten land on one host: the check above is
    /// what spreads them.
    @Test func withoutReplicasEveryStandbyIsTheSameHost() {
        let hosts = [F.host("a", memory: 64 * F.gib), F.host("b"), F.host("c"), F.host("d")]
        let guests = (0..<10).map { F.guest("g\($0)") }
        let scheduler = Scheduler(hosts: hosts, placed: guests.map { PlacedGuest(guest: $0, host: "a") }, policy: .spread)
        let chosen = Set(guests.compactMap { try? scheduler.standby(for: $0, runningOn: "a").get() })
        #expect(chosen.count == 1, "\(chosen)")
    }

    /// A host whose replicas fill it takes no more: the standby goes
    /// elsewhere, or nowhere with the host's memory as the reason.
    @Test func replicasCountAsBookedMemory() {
        let hosts = [F.host("a"), F.host("b", memory: 4 * F.gib), F.host("c", memory: 2 * F.gib)]
        let guest = F.guest("g", memory: 2 * F.gib)
        let scheduler = Scheduler(hosts: hosts, placed: [PlacedGuest(guest: guest, host: "a")], policy: .spread)
        #expect(scheduler.standby(for: guest, runningOn: "a") == .success("b"))
        let full = [PlacedGuest(guest: F.guest("r1", memory: 3 * F.gib), host: "b")]
        #expect(scheduler.standby(for: guest, runningOn: "a", replicas: full) == .success("c"))
        let both = full + [PlacedGuest(guest: F.guest("r2", memory: 1 * F.gib), host: "c")]
        guard case .failure(let failure) = scheduler.standby(for: guest, runningOn: "a", replicas: both) else {
            Issue.record("b and c are full of replicas")
            return
        }
        #expect(failure.rejections.contains { $0.host == "b" && $0.kind == .memory }, "\(failure.description)")
    }

    /// The guest's own replica (the one being moved) does not count
    /// against its new standby; nor do replicas' groups.
    @Test func ownReplicaAndGroupsAreNotCounted() {
        let hosts = [F.host("a"), F.host("b", memory: 2 * F.gib)]
        let guest = F.guest("g", memory: 2 * F.gib, group: "db")
        let scheduler = Scheduler(hosts: hosts, placed: [PlacedGuest(guest: guest, host: "a")])
        #expect(scheduler.standby(for: guest, runningOn: "a", replicas: [PlacedGuest(guest: guest, host: "b")]) == .success("b"))
        let big = [F.host("a"), F.host("b")]
        let grouped = Scheduler(hosts: big, placed: [PlacedGuest(guest: guest, host: "a")])
        let sameGroup = [PlacedGuest(guest: F.guest("db2", group: "db"), host: "b")]
        #expect(grouped.standby(for: guest, runningOn: "a", replicas: sameGroup) == .success("b"))
    }

    /// `--to` is the operator's: checked against running guests only.
    @Test func theOperatorsChoiceIsNotRefusedForReplicas() {
        let hosts = [F.host("a"), F.host("b", memory: 2 * F.gib)]
        let guest = F.guest("g", memory: 2 * F.gib)
        let scheduler = Scheduler(hosts: hosts, placed: [PlacedGuest(guest: guest, host: "a")])
        let full = [PlacedGuest(guest: F.guest("r", memory: 2 * F.gib), host: "b")]
        #expect(scheduler.standby(for: guest, runningOn: "a", preferred: "b", replicas: full) == .success("b"))
    }
}
