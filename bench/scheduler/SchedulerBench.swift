// Scheduler benchmark: wall time of (a) 100,000 guests onto 10,000 hosts
// with spread, (b) the same with binpack, (c) planning the evacuation of one
// host with 200 guests among 1,000 hosts; and, beyond what is published,
// (d) case (a) on hosts whose memory totals all differ (as MemTotal does
// across hosts of one model) and (e) one guest that fits nowhere among
// 10,000 hosts, whose failure words every host's reason. Inputs come from
// fixed seeds and are built outside the timed part; the scheduler's own
// set-up is timed with its work. Built and run by bench/scheduler/run.sh.
import FleetScheduler

@main
struct SchedulerBench {
    struct Case {
        var label: String
        var run: () -> String
    }

    static func main() {
        let repetitions = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 5
        let fleet = Fleet.hosts(count: 10_000, seed: 1)
        let unevenFleet = Fleet.hosts(count: 10_000, seed: 1, uneven: true)
        let demand = Fleet.guests(count: 100_000, seed: 2)
        let evacuation = Fleet.evacuationCase(seed: 3)
        let giant = GuestDemand(name: "giant", memoryBytes: 4096 * Fleet.gib, cpuMillis: 1000)

        let cases = [
            Case(label: "(a) 100,000 guests onto 10,000 hosts, spread") {
                placeAll(demand, on: fleet, policy: .spread)
            },
            Case(label: "(b) 100,000 guests onto 10,000 hosts, binpack") {
                placeAll(demand, on: fleet, policy: .binpack)
            },
            Case(label: "(c) evacuation of 200 guests among 1,000 hosts") {
                let plan = Scheduler.planEvacuation(
                    of: evacuation.source, hosts: evacuation.hosts, placed: evacuation.placed, policy: .spread)
                return "\(plan.moves.count) moves, \(plan.unplaceable.count) unplaceable"
            },
            Case(label: "(d) as (a), every host's memory total different") {
                placeAll(demand, on: unevenFleet, policy: .spread)
            },
            Case(label: "(e) one guest that fits nowhere, 10,000 reasons") {
                var scheduler = Scheduler(hosts: fleet, placed: [])
                guard case .failure(let failure) = scheduler.place(giant) else { return "placed?" }
                return "\(failure.rejections.count) reasons, \(failure.description.count) characters"
            },
        ]

        var times = Array(repeating: [Double](), count: cases.count)
        for run in 1...repetitions {
            print("run \(run):")
            for (index, benchCase) in cases.enumerated() {
                var outcome = ""
                let ms = milliseconds { outcome = benchCase.run() }
                times[index].append(ms)
                print("  \(benchCase.label): \(format(ms)) ms (\(outcome))")
            }
        }
        print("median over \(repetitions) runs:")
        for (index, benchCase) in cases.enumerated() {
            print("  \(benchCase.label): \(format(median(times[index]))) ms")
        }
    }

    static func placeAll(_ guests: [GuestDemand], on hosts: [HostCapacity], policy: PlacementPolicy) -> String {
        var scheduler = Scheduler(hosts: hosts, placed: [], policy: policy)
        let result = scheduler.placeAll(guests)
        return "\(result.placed.count) placed, \(result.failed.count) failed"
    }

    static func milliseconds(_ body: () -> Void) -> Double {
        let elapsed = ContinuousClock().measure(body)
        return Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    static func format(_ ms: Double) -> String {
        String(Double(Int((ms * 10).rounded())) / 10)
    }
}

/// A seeded generator (SplitMix64), so every run schedules the same fleet.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The benchmark's fleet: mixed host sizes in three zones, 2% cordoned;
/// mixed guest sizes, ~10% in anti-affinity groups of 2–5, ~20% pinned to
/// a zone, made from eight templates that hosts partly have.
enum Fleet {
    static let gib: UInt64 = 1 << 30
    static let mib: UInt64 = 1 << 20
    static let zones = ["z1", "z2", "z3"]
    static let templates = (0..<8).map { "sha256-template-\($0)" }

    /// `uneven`: each total up to 4G below its model's nominal size, in 4K
    /// steps, so nearly every host has a size of its own.
    static func hosts(count: Int, seed: UInt64, prefix: String = "host", uneven: Bool = false) -> [HostCapacity] {
        var random = SplitMix64(state: seed)
        let sizes: [UInt64] = [16, 32, 64, 128]
        return (0..<count).map { i in
            var memory = sizes.randomElement(using: &random)! * gib
            if uneven { memory -= (random.next() % 1_000_000) * 4096 }
            return HostCapacity(
                name: "\(prefix)-\(i)",
                memoryBytes: memory,
                cpuMillis: Int(memory / (2 * gib)) * 1000,
                diskBytes: [500, 1000, 2000].randomElement(using: &random)! * gib,
                reservedMemoryBytes: memory >= 64 * gib ? 2 * gib : gib,
                labels: ["zone": zones[i % zones.count]],
                cordoned: random.next() % 50 == 0,
                templateDigests: Set(templates.filter { _ in random.next() % 2 == 0 }))
        }
    }

    static func guests(count: Int, seed: UInt64, prefix: String = "guest") -> [GuestDemand] {
        var random = SplitMix64(state: seed)
        let memories: [(UInt64, Int)] = [(256 * mib, 20), (512 * mib, 25), (gib, 25), (2 * gib, 15), (4 * gib, 10), (8 * gib, 5)]
        var guests: [GuestDemand] = []
        guests.reserveCapacity(count)
        var groupNumber = 0
        while guests.count < count {
            // One in ten guests is in a group: groups of 2–5 arrive in runs.
            let grouped = random.next() % 100 < 3
            let members = grouped ? Int(2 + random.next() % 4) : 1
            let group: String? = grouped ? "group-\(groupNumber)" : nil
            if grouped { groupNumber += 1 }
            for _ in 0..<min(members, count - guests.count) {
                var roll = Int(random.next() % 100)
                var memory = memories[0].0
                for (size, weight) in memories {
                    if roll < weight { memory = size; break }
                    roll -= weight
                }
                let template = Int(random.next() % UInt64(templates.count))
                guests.append(GuestDemand(
                    name: "\(prefix)-\(guests.count)",
                    memoryBytes: memory,
                    cpuMillis: [250, 500, 1000, 2000].randomElement(using: &random)!,
                    diskBytes: (1 + random.next() % 20) * gib,
                    group: group,
                    requires: random.next() % 5 == 0 ? ["zone": zones.randomElement(using: &random)!] : [:],
                    templateDigest: templates[template],
                    templateBytes: UInt64(200 + template * 200) * mib))
            }
        }
        return guests
    }

    /// 1,000 hosts with about 5,000 guests on them, one of which is a big
    /// host carrying 200 guests.
    static func evacuationCase(seed: UInt64) -> (source: String, hosts: [HostCapacity], placed: [PlacedGuest]) {
        var hosts = Self.hosts(count: 999, seed: seed)
        let source = HostCapacity(name: "host-big", memoryBytes: 1024 * gib, cpuMillis: 256_000, diskBytes: 8000 * gib,
                                  labels: ["zone": "z1"], templateDigests: Set(templates))
        hosts.append(source)
        var others = Scheduler(hosts: hosts.filter { $0.name != source.name }, placed: [])
        let background = others.placeAll(guests(count: 5_000, seed: seed + 1, prefix: "bg")).placed
        let leaving = guests(count: 200, seed: seed + 2, prefix: "leaving").map { PlacedGuest(guest: $0, host: source.name) }
        return (source.name, hosts, background + leaving)
    }
}
