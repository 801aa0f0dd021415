import FleetScheduler
import FleetTestSupport
import Testing

/// place(_:on:), the operator's --host.
@Suite(.tags(.unit)) struct ExplicitHostTests {
    typealias F = TestFleet

    @Test func placesOnTheGivenHost() {
        var scheduler = Scheduler(hosts: [F.host("a"), F.host("b")], placed: [], policy: .spread)
        #expect(scheduler.place(F.guest("g1"), on: "b") == .success("b"))
        #expect(scheduler.allocation(of: "b")?.guests == 1)
        // Spread now prefers the emptier host a for the next guest.
        #expect(scheduler.place(F.guest("g2")) == .success("a"))
    }

    @Test func refusesWithTheHostsReason() {
        let hosts = [F.host("a", memory: 4 * F.gib, reserved: F.gib), F.host("b", memory: 64 * F.gib)]
        var scheduler = Scheduler(hosts: hosts, placed: [])
        let result = scheduler.place(F.guest("web7", memory: 8 * F.gib), on: "a")
        guard case .failure(let failure) = result else {
            Issue.record("web7 does not fit on a")
            return
        }
        #expect(failure.host == "a")
        #expect(failure.rejections == [HostRejection(host: "a", reason: "memory: needs 8G, 3G free of 4G (1G reserved)", kind: .memory)])
        #expect(failure.description == "cannot place guest web7 on a: memory: needs 8G, 3G free of 4G (1G reserved)")
        #expect(scheduler.allocation(of: "a")?.guests == 0)
    }

    @Test func refusesCordonedHost() {
        var scheduler = Scheduler(hosts: [F.host("a", cordoned: true)], placed: [])
        guard case .failure(let failure) = scheduler.place(F.guest("g"), on: "a") else {
            Issue.record("a is cordoned")
            return
        }
        #expect(failure.description == "cannot place guest g on a: cordoned")
    }

    @Test func refusesUnknownHost() {
        var scheduler = Scheduler(hosts: [F.host("a")], placed: [])
        guard case .failure(let failure) = scheduler.place(F.guest("g"), on: "zz") else {
            Issue.record("zz does not exist")
            return
        }
        #expect(failure.rejections.first?.kind == .unknownHost)
        #expect(failure.description.contains("no host named zz is enrolled"))
    }

    @Test func refusesGuestThatIsAlreadyPlaced() {
        var scheduler = Scheduler(hosts: [F.host("a"), F.host("b")], placed: [PlacedGuest(guest: F.guest("g"), host: "a")])
        for result in [scheduler.place(F.guest("g"), on: "b"), scheduler.place(F.guest("g"))] {
            guard case .failure(let failure) = result else {
                Issue.record("g is on a already")
                continue
            }
            #expect(failure.description == "cannot place guest g: guest g is already placed on a; remove it before placing it again")
        }
        #expect(scheduler.allocation(of: "b")?.guests == 0)
    }

    @Test func checkAnswersWithoutBooking() {
        let scheduler = Scheduler(hosts: [F.host("a", memory: 4 * F.gib)], placed: [PlacedGuest(guest: F.guest("g", memory: 3 * F.gib), host: "a")])
        #expect(scheduler.check(F.guest("small", memory: F.gib), on: "a") == nil)
        #expect(scheduler.check(F.guest("big", memory: 2 * F.gib), on: "a")?.reason == "memory: needs 2G, 1G free of 4G")
        #expect(scheduler.check(F.guest("x"), on: "zz")?.kind == .unknownHost)
        #expect(scheduler.allocation(of: "a")?.guests == 1)
    }
}
