import FleetScheduler
import FleetTestSupport
import Testing

/// Random fleets: the scheduler's every choice must equal the brute-force
/// reference's, and the result must pass the independent checker.
@Suite(.tags(.unit)) struct PropertyTests {
    @Test(arguments: [1, 2, 3] as [UInt64], PlacementPolicy.allCases)
    func matchesReferenceAndKeepsEveryRule(seed: UInt64, policy: PlacementPolicy) {
        check(hosts: RandomFleet.hosts(count: 300, seed: seed), seed: seed, policy: policy)
    }

    @Test(arguments: [4, 5] as [UInt64], PlacementPolicy.allCases)
    func matchesReferenceWithIrregularHostSizes(seed: UInt64, policy: PlacementPolicy) {
        check(hosts: RandomFleet.hosts(count: 300, seed: seed, irregular: true), seed: seed, policy: policy)
    }

    private func check(hosts: [HostCapacity], seed: UInt64, policy: PlacementPolicy) {
        let existing = startingPlacements(hosts: hosts, seed: seed)
        let guests = RandomFleet.guests(count: 3000, seed: seed &* 31 &+ 1)
        var scheduler = Scheduler(hosts: hosts, placed: existing, policy: policy)
        var reference = ReferenceScheduler(hosts: hosts, placed: existing, policy: policy)
        var placed: [PlacedGuest] = []
        var mismatches: [String] = []
        var failures = 0
        let hostNames = hosts.map(\.name).sorted()
        for guest in guests {
            let expected = reference.place(guest)
            switch scheduler.place(guest) {
            case .success(let host):
                placed.append(PlacedGuest(guest: guest, host: host))
                if host != expected { mismatches.append("\(guest.name): scheduler \(host), reference \(expected ?? "none")") }
            case .failure(let failure):
                failures += 1
                if let expected { mismatches.append("\(guest.name): scheduler failed, reference \(expected)") }
                #expect(failure.rejections.map(\.host) == hostNames)
            }
        }
        #expect(mismatches.prefix(5) == [], "\(mismatches.count) choices differ from the reference")
        #expect(PlacementChecker.violations(hosts: hosts, existing: existing, new: placed) == [])
        // The fleet must be tight enough to exercise both outcomes.
        #expect(failures > 0)
        #expect(placed.count > guests.count / 2)
        for host in hosts {
            let expected = expectedAllocation(host, existing + placed)
            #expect(scheduler.allocation(of: host.name) == expected, "allocation of \(host.name)")
        }
    }

    @Test(arguments: PlacementPolicy.allCases)
    func removalsAndPlacementsInterleaved(policy: PlacementPolicy) {
        let hosts = RandomFleet.hosts(count: 150, seed: 11)
        let guests = RandomFleet.guests(count: 2500, seed: 12)
        var random = SplitMix64(state: 13)
        var scheduler = Scheduler(hosts: hosts, placed: [], policy: policy, cpuOvercommit: 1.5)
        var reference = ReferenceScheduler(hosts: hosts, placed: [], policy: policy, cpuOvercommit: 1.5)
        var current: [String: PlacedGuest] = [:]
        var mismatches = 0
        for guest in guests {
            if !current.isEmpty, random.next() % 3 == 0 {
                let victim = current.keys.sorted()[Int(random.next() % UInt64(current.count))]
                scheduler.remove(guest: victim)
                reference.remove(victim)
                current[victim] = nil
            }
            let expected = reference.place(guest)
            let chosen = try? scheduler.place(guest).get()
            if chosen != expected { mismatches += 1 }
            if let chosen { current[guest.name] = PlacedGuest(guest: guest, host: chosen) }
        }
        #expect(mismatches == 0)
        let final = current.values.sorted { $0.guest.name < $1.guest.name }
        #expect(PlacementChecker.violations(hosts: hosts, existing: [], new: final, cpuOvercommit: 1.5) == [])
    }

    /// Guests already running before the session, placed by the reference.
    private func startingPlacements(hosts: [HostCapacity], seed: UInt64) -> [PlacedGuest] {
        var reference = ReferenceScheduler(hosts: hosts, placed: [], policy: .spread)
        return RandomFleet.guests(count: 400, seed: seed &+ 1000, prefix: "old").compactMap { guest in
            reference.place(guest).map { PlacedGuest(guest: guest, host: $0) }
        }
    }

    private func expectedAllocation(_ host: HostCapacity, _ placements: [PlacedGuest]) -> HostAllocation {
        let guests = placements.filter { $0.host == host.name }.map(\.guest)
        var templates: [String: UInt64] = [:]
        for guest in guests where !guest.templateDigest.isEmpty && !host.templateDigests.contains(guest.templateDigest) {
            templates[guest.templateDigest] = guest.templateBytes
        }
        return HostAllocation(
            memoryBytes: guests.reduce(0) { $0 + $1.memoryBytes },
            cpuMillis: guests.reduce(0) { $0 + $1.cpuMillis },
            diskBytes: guests.reduce(0) { $0 + $1.diskBytes } + templates.values.reduce(0, +),
            guests: guests.count)
    }
}
