import FleetScheduler

/// Seeded random fleets for the property tests: a few host sizes (so ties
/// and equal-size lists occur), reservations, three zones and two disk
/// kinds, some hosts cordoned or unreachable, guests in anti-affinity
/// groups, with required labels and templates. Capacity is tight enough
/// that some guests fit nowhere.
enum RandomFleet {
    static let gib = TestFleet.gib
    static let mib = TestFleet.mib
    static let zones = ["z1", "z2", "z3"]
    static let templates = (0..<5).map { "template-\($0)" }

    static func templateBytes(_ digest: String) -> UInt64 {
        UInt64(256 + 128 * (templates.firstIndex(of: digest) ?? 0)) * mib
    }

    /// `irregular`: totals a few MiB apart, as hosts of one model report
    /// them, so most hosts have a size of their own.
    static func hosts(count: Int, seed: UInt64, irregular: Bool = false) -> [HostCapacity] {
        var random = SplitMix64(state: seed)
        let sizes: [UInt64] = [8, 16, 16, 24, 32]
        return (0..<count).map { i in
            var memory = sizes.randomElement(using: &random)! * gib + (random.next() % 4 == 0 ? 512 * mib : 0)
            if irregular { memory -= (random.next() % 16_384) * 4096 }
            var labels = ["zone": zones.randomElement(using: &random)!]
            if random.next() % 3 == 0 { labels["disk"] = "ssd" }
            return HostCapacity(
                name: "h\(random.next() % 1000)-\(i)",
                memoryBytes: memory,
                cpuMillis: [4000, 8000, 12_000, 16_000].randomElement(using: &random)!,
                diskBytes: [20, 40, 100].randomElement(using: &random)! * gib,
                reservedMemoryBytes: [0, 512 * mib, gib].randomElement(using: &random)!,
                labels: labels,
                cordoned: random.next() % 25 == 0,
                reachable: random.next() % 30 != 0,
                templateDigests: Set(templates.filter { _ in random.next() % 3 == 0 }))
        }
    }

    static func guests(count: Int, seed: UInt64, prefix: String = "g") -> [GuestDemand] {
        var random = SplitMix64(state: seed)
        var guests: [GuestDemand] = []
        var groups = 0
        while guests.count < count {
            let grouped = random.next() % 100 < 4
            let members = grouped ? Int(2 + random.next() % 4) : 1
            if grouped { groups += 1 }
            for _ in 0..<min(members, count - guests.count) {
                var requires: [String: String] = [:]
                if random.next() % 5 == 0 { requires["zone"] = zones.randomElement(using: &random)! }
                if random.next() % 10 == 0 { requires["disk"] = "ssd" }
                let template = random.next() % 6 == 0 ? "" : templates.randomElement(using: &random)!
                guests.append(GuestDemand(
                    name: "\(prefix)\(guests.count)",
                    // A few guests without a memory demand, which spread ranks differently.
                    memoryBytes: random.next() % 25 == 0 ? 0 : [128, 256, 512, 1024, 2048, 3072].randomElement(using: &random)! * mib,
                    cpuMillis: [100, 250, 500, 1000, 1500].randomElement(using: &random)!,
                    diskBytes: UInt64(1 + random.next() % 5) * gib,
                    group: grouped ? "grp\(groups)" : nil,
                    requires: requires,
                    templateDigest: template,
                    templateBytes: template.isEmpty ? 0 : templateBytes(template)))
            }
        }
        return guests
    }
}
