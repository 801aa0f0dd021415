import FleetScheduler
import FleetTestSupport
import Testing

/// Each rule on its own: the host is refused, and the reason names the rule
/// and its numbers.
@Suite(.tags(.unit)) struct RuleTests {
    typealias F = TestFleet

    /// The single rejection of placing `guest` on a one-host fleet.
    func rejection(_ guest: GuestDemand, host: HostCapacity, placed: [PlacedGuest] = [], cpuOvercommit: Double = 1) throws -> HostRejection {
        var scheduler = Scheduler(hosts: [host], placed: placed, cpuOvercommit: cpuOvercommit)
        guard case .failure(let failure) = scheduler.place(guest) else {
            Issue.record("\(guest.name) was placed")
            throw RuleTestError.placed
        }
        #expect(failure.guest == guest.name)
        #expect(failure.rejections.count == 1)
        return try #require(failure.rejections.first)
    }

    enum RuleTestError: Error { case placed }

    @Test func cordonedHostIsSkipped() throws {
        let refused = try rejection(F.guest("web1"), host: F.host("a", cordoned: true))
        #expect(refused == HostRejection(host: "a", reason: "cordoned", kind: .cordoned))
    }

    @Test func unreachableHostIsSkipped() throws {
        let refused = try rejection(F.guest("web1"), host: F.host("a", reachable: false))
        #expect(refused == HostRejection(host: "a", reason: "unreachable", kind: .unreachable))
    }

    @Test func cordonedAndUnavailableHostsAreSkippedForOthers() {
        let hosts = [F.host("a", cordoned: true), F.host("b", reachable: false), F.host("c", memory: 2 * F.gib)]
        var scheduler = Scheduler(hosts: hosts, placed: [])
        #expect(scheduler.place(F.guest("web1")) == .success("c"))
    }

    @Test func requiredLabelMustMatch() throws {
        let guest = F.guest("web7", requires: ["zone": "eu"])
        let wrong = try rejection(guest, host: F.host("d", labels: ["zone": "us"]))
        #expect(wrong.reason == "label zone=eu required, host has zone=us")
        #expect(wrong.kind == .labels)
        let missing = try rejection(guest, host: F.host("d"))
        #expect(missing.reason == "label zone=eu required, host has no zone label")
    }

    @Test func labelsPickTheMatchingHost() {
        let hosts = [F.host("a", labels: ["zone": "us"]), F.host("b", labels: ["zone": "eu", "disk": "ssd"])]
        var scheduler = Scheduler(hosts: hosts, placed: [])
        #expect(scheduler.place(F.guest("g1", requires: ["zone": "eu"])) == .success("b"))
        #expect(scheduler.place(F.guest("g2", requires: ["zone": "eu", "disk": "ssd"])) == .success("b"))
        #expect(scheduler.place(F.guest("g3", requires: ["zone": "us"])) == .success("a"))
        guard case .failure(let failure) = scheduler.place(F.guest("g4", requires: ["zone": "us", "disk": "ssd"])) else {
            Issue.record("g4 needs a us host with ssd, there is none")
            return
        }
        #expect(failure.rejections.map(\.reason) == [
            "label disk=ssd required, host has no disk label",
            "label zone=us required, host has zone=eu",
        ])
    }

    @Test func antiAffinityKeepsGroupApart() throws {
        let host = F.host("c")
        let web3 = PlacedGuest(guest: F.guest("web3", group: "web"), host: "c")
        let refused = try rejection(F.guest("web7", group: "web"), host: host, placed: [web3])
        #expect(refused.reason == "anti-affinity: guest web3 of group web is there")
        #expect(refused.kind == .antiAffinity)
        var scheduler = Scheduler(hosts: [host], placed: [web3])
        #expect(scheduler.place(F.guest("db1", group: "db")) == .success("c"))
        #expect(scheduler.place(F.guest("solo")) == .success("c"))
    }

    @Test func antiAffinityHoldsWithinOneBatch() {
        let hosts = (1...3).map { F.host("h\($0)") }
        var scheduler = Scheduler(hosts: hosts, placed: [], policy: .binpack)
        let batch = (1...4).map { F.guest("web\($0)", group: "web") }
        let result = scheduler.placeAll(batch)
        #expect(result.placed.map(\.host) == ["h1", "h2", "h3"])
        #expect(result.failed.map(\.guest) == ["web4"])
        #expect(result.failed.first?.rejections.allSatisfy { $0.kind == .antiAffinity } == true)
    }

    @Test func memoryNamesNeedFreeTotalAndReservation() throws {
        let host = F.host("b", memory: 4 * F.gib, reserved: F.gib)
        let used = PlacedGuest(guest: F.guest("old", memory: 2816 * F.mib), host: "b")
        let refused = try rejection(F.guest("web7", memory: 512 * F.mib), host: host, placed: [used])
        #expect(refused.reason == "memory: needs 512M, 256M free of 4G (1G reserved)")
        #expect(refused.kind == .memory)
    }

    @Test func reservationIsNeverAllocated() {
        let host = F.host("a", memory: 4 * F.gib, reserved: F.gib)
        var scheduler = Scheduler(hosts: [host], placed: [])
        #expect(scheduler.place(F.guest("g1", memory: 3 * F.gib)) == .success("a"))
        #expect(scheduler.place(F.guest("g2", memory: 1)).isFailure)
        var exact = Scheduler(hosts: [host], placed: [])
        #expect(exact.place(F.guest("g1", memory: 3 * F.gib + 1)).isFailure)
    }

    @Test func cpuNamesNeedAndFree() throws {
        let host = F.host("a", cpus: 4)
        let used = PlacedGuest(guest: F.guest("old", cpuMillis: 3500), host: "a")
        let refused = try rejection(F.guest("web7", cpuMillis: 1000), host: host, placed: [used])
        #expect(refused.reason == "cpu: needs 1 cpu, 0.5 free of 4")
        #expect(refused.kind == .cpu)
    }

    @Test func cpuOvercommitRaisesTheLimit() throws {
        let host = F.host("a", cpus: 4)
        var scheduler = Scheduler(hosts: [host], placed: [], cpuOvercommit: 1.5)
        #expect(scheduler.place(F.guest("g1", cpuMillis: 6000)) == .success("a"))
        let refused = try rejection(
            F.guest("g2", cpuMillis: 250), host: host,
            placed: [PlacedGuest(guest: F.guest("g1", cpuMillis: 6000), host: "a")], cpuOvercommit: 1.5)
        #expect(refused.reason == "cpu: needs 0.25 cpus, 0 free of 6 (4 cpus × 1.5 overcommit)")
    }

    @Test func diskNamesNeedAndFree() throws {
        let host = F.host("a", disk: 100 * F.gib)
        let used = PlacedGuest(guest: F.guest("old", disk: 95 * F.gib), host: "a")
        let refused = try rejection(F.guest("web7", disk: 10 * F.gib), host: host, placed: [used])
        #expect(refused.reason == "disk: needs 10G, 5G free of 100G")
        #expect(refused.kind == .disk)
    }

    @Test func missingTemplateCountsAgainstDisk() throws {
        let template = "0123456789abcdef0123"
        let guest = F.guest("web7", disk: 10 * F.gib, template: template, templateBytes: 2 * F.gib)
        let lacking = F.host("a", disk: 11 * F.gib)
        let refused = try rejection(guest, host: lacking)
        #expect(refused.reason == "disk: needs 12G (10G + 2G to copy template 0123456789ab, which the host lacks), 11G free of 11G")
        var having = Scheduler(hosts: [F.host("a", disk: 11 * F.gib, templates: [template])], placed: [])
        #expect(having.place(guest) == .success("a"))
    }

    @Test func aTemplateIsCopiedOncePerHost() {
        let template = "t1"
        var scheduler = Scheduler(hosts: [F.host("a", disk: 25 * F.gib)], placed: [])
        let first = F.guest("g1", disk: 10 * F.gib, template: template, templateBytes: 4 * F.gib)
        let second = F.guest("g2", disk: 10 * F.gib, template: template, templateBytes: 4 * F.gib)
        #expect(scheduler.place(first) == .success("a"))
        // 10G + 4G template + 10G = 24G: the second guest reuses the copy.
        #expect(scheduler.place(second) == .success("a"))
        #expect(scheduler.allocation(of: "a")?.diskBytes == 24 * F.gib)
    }

    @Test func everyFailingResourceIsNamed() throws {
        let host = F.host("a", memory: F.gib, cpus: 1, disk: F.gib)
        let refused = try rejection(F.guest("big", memory: 2 * F.gib, cpuMillis: 2000, disk: 2 * F.gib), host: host)
        #expect(refused.reason == "memory: needs 2G, 1G free of 1G; cpu: needs 2 cpus, 1 free of 1; disk: needs 2G, 1G free of 1G")
        #expect(refused.kind == .memory)
    }
}
