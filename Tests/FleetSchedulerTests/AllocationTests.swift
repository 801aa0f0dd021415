import FleetScheduler
import FleetTestSupport
import Testing

@Suite(.tags(.unit)) struct AllocationTests {
    typealias F = TestFleet

    @Test func countsPlacedAndNewGuests() {
        let placed = [PlacedGuest(guest: F.guest("old", memory: 2 * F.gib, cpuMillis: 500, disk: 3 * F.gib), host: "a")]
        var scheduler = Scheduler(hosts: [F.host("a")], placed: placed)
        #expect(scheduler.allocation(of: "a") == HostAllocation(memoryBytes: 2 * F.gib, cpuMillis: 500, diskBytes: 3 * F.gib, guests: 1))
        _ = scheduler.place(F.guest("new", memory: F.gib, cpuMillis: 250, disk: F.gib))
        #expect(scheduler.allocation(of: "a") == HostAllocation(memoryBytes: 3 * F.gib, cpuMillis: 750, diskBytes: 4 * F.gib, guests: 2))
        #expect(scheduler.allocation(of: "nope") == nil)
    }

    @Test func removeFreesTheGuestsShare() {
        let hosts = [F.host("a", memory: 4 * F.gib), F.host("b", memory: 4 * F.gib)]
        let placed = [
            PlacedGuest(guest: F.guest("x", memory: 3 * F.gib, group: "g"), host: "a"),
            PlacedGuest(guest: F.guest("y", memory: 3 * F.gib), host: "b"),
        ]
        var scheduler = Scheduler(hosts: hosts, placed: placed)
        #expect(scheduler.place(F.guest("z", memory: 2 * F.gib, group: "g")).isFailure)
        scheduler.remove(guest: "x")
        #expect(scheduler.allocation(of: "a") == HostAllocation(memoryBytes: 0, cpuMillis: 0, diskBytes: 0, guests: 0))
        #expect(scheduler.place(F.guest("z", memory: 2 * F.gib, group: "g")) == .success("a"))
        scheduler.remove(guest: "no-such-guest")
        #expect(scheduler.allocation(of: "b")?.guests == 1)
    }

    @Test func templatesStayWhenTheirGuestLeaves() {
        var scheduler = Scheduler(hosts: [F.host("a", disk: 20 * F.gib)], placed: [])
        _ = scheduler.place(F.guest("g1", disk: 5 * F.gib, template: "t", templateBytes: 2 * F.gib))
        scheduler.remove(guest: "g1")
        #expect(scheduler.allocation(of: "a")?.diskBytes == 2 * F.gib)
        // The copy is there: the next guest of the template does not pay for it again.
        _ = scheduler.place(F.guest("g2", disk: 5 * F.gib, template: "t", templateBytes: 2 * F.gib))
        #expect(scheduler.allocation(of: "a")?.diskBytes == 7 * F.gib)
    }

    @Test func malformedInputIsRefusedNotTrapped() {
        let hosts = [
            F.host("a", memory: F.gib, reserved: 2 * F.gib),
            HostCapacity(name: "b", memoryBytes: .max, cpuMillis: -5, diskBytes: .max),
            F.host("a", memory: 64 * F.gib),
        ]
        var scheduler = Scheduler(hosts: hosts, placed: [PlacedGuest(guest: F.guest("ghost"), host: "gone")], cpuOvercommit: .nan)
        let huge = GuestDemand(name: "huge", memoryBytes: .max, cpuMillis: .max, diskBytes: .max, templateDigest: "t", templateBytes: .max)
        guard case .failure(let failure) = scheduler.place(huge) else {
            Issue.record("huge fits nowhere")
            return
        }
        // The first entry of a duplicated name wins.
        #expect(failure.rejections.map(\.host) == ["a", "b"])
        #expect(scheduler.place(F.guest("zero", memory: 0, cpuMillis: 0, disk: 0), on: "a").isFailure)
        #expect(scheduler.place(F.guest("free", memory: F.gib, cpuMillis: -100, disk: 0)) == .success("b"))
    }
}
