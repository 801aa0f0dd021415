import FleetScheduler
import FleetTestSupport
import Testing

/// standby(for:runningOn:preferred:): where a guest's replica is kept.
@Suite(.tags(.unit)) struct StandbyTests {
    typealias F = TestFleet

    @Test func neverTheGuestsOwnHost() {
        // a is the emptiest host by far: spread would choose it, but the guest runs there.
        let hosts = [F.host("a", memory: 64 * F.gib), F.host("b"), F.host("c")]
        let placed = [PlacedGuest(guest: F.guest("web"), host: "a"), PlacedGuest(guest: F.guest("x", memory: 8 * F.gib), host: "b")]
        let scheduler = Scheduler(hosts: hosts, placed: placed, policy: .spread)
        #expect(scheduler.standby(for: F.guest("web"), runningOn: "a") == .success("c"))
        // Books nothing.
        #expect(scheduler.allocation(of: "c")?.guests == 0)
        #expect(scheduler.allocation(of: "a")?.guests == 1)
    }

    @Test func honoursAntiAffinityAsIfTheGuestRanThere() {
        let hosts = [F.host("a"), F.host("b"), F.host("c")]
        let placed = [PlacedGuest(guest: F.guest("db1", group: "db"), host: "a"), PlacedGuest(guest: F.guest("db2", group: "db"), host: "b")]
        let scheduler = Scheduler(hosts: hosts, placed: placed)
        #expect(scheduler.standby(for: F.guest("db1", group: "db"), runningOn: "a") == .success("c"))
        // With c gone, no host can hold db1 without meeting db2: refused.
        let two = Scheduler(hosts: [F.host("a"), F.host("b")], placed: placed)
        guard case .failure(let failure) = two.standby(for: F.guest("db1", group: "db"), runningOn: "a") else {
            Issue.record("b holds db2 of the same group")
            return
        }
        #expect(failure.rejections.contains { $0.host == "b" && $0.kind == .antiAffinity })
        #expect(failure.rejections.contains { $0.host == "a" })
    }

    @Test func honoursCapacityAndLabels() {
        let hosts = [F.host("a"), F.host("small", memory: 2 * F.gib), F.host("big", memory: 64 * F.gib, labels: ["zone": "west"]),
                     F.host("east", memory: 64 * F.gib, labels: ["zone": "east"])]
        let guest = F.guest("g", memory: 8 * F.gib, requires: ["zone": "west"])
        let scheduler = Scheduler(hosts: hosts, placed: [PlacedGuest(guest: guest, host: "a")])
        #expect(scheduler.standby(for: guest, runningOn: "a") == .success("big"))
        let plain = F.guest("p", memory: 8 * F.gib)
        let second = Scheduler(hosts: [F.host("a"), F.host("small", memory: 2 * F.gib)], placed: [PlacedGuest(guest: plain, host: "a")])
        guard case .failure(let failure) = second.standby(for: plain, runningOn: "a") else {
            Issue.record("small cannot hold 8G")
            return
        }
        #expect(failure.rejections.contains { $0.host == "small" && $0.kind == .memory })
    }

    @Test func skipsCordonedAndUnreachableHosts() {
        let hosts = [F.host("a"), F.host("b", cordoned: true), F.host("c", reachable: false), F.host("d", memory: 4 * F.gib)]
        let scheduler = Scheduler(hosts: hosts, placed: [PlacedGuest(guest: F.guest("g"), host: "a")])
        #expect(scheduler.standby(for: F.guest("g"), runningOn: "a") == .success("d"))
    }

    @Test func checksTheOperatorsChoice() {
        let hosts = [F.host("a"), F.host("b"), F.host("tiny", memory: F.gib / 2)]
        let scheduler = Scheduler(hosts: hosts, placed: [PlacedGuest(guest: F.guest("g"), host: "a")])
        #expect(scheduler.standby(for: F.guest("g"), runningOn: "a", preferred: "b") == .success("b"))
        guard case .failure(let own) = scheduler.standby(for: F.guest("g"), runningOn: "a", preferred: "a") else {
            Issue.record("a runs g itself")
            return
        }
        #expect(own.description.contains("a standby must be another host"), "\(own.description)")
        #expect(scheduler.standby(for: F.guest("g"), runningOn: "a", preferred: "tiny").isFailure)
        #expect(scheduler.standby(for: F.guest("g"), runningOn: "a", preferred: "nowhere").isFailure)
    }
}
