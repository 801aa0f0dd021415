import FleetScheduler

/// Sizes and builders that keep the tests short.
enum TestFleet {
    static let mib: UInt64 = 1 << 20
    static let gib: UInt64 = 1 << 30

    static func host(
        _ name: String, memory: UInt64 = 16 << 30, cpus: Int = 8, disk: UInt64 = 500 << 30,
        reserved: UInt64 = 0, labels: [String: String] = [:], cordoned: Bool = false, reachable: Bool = true,
        templates: Set<String> = []
    ) -> HostCapacity {
        HostCapacity(
            name: name, memoryBytes: memory, cpuMillis: cpus * 1000, diskBytes: disk, reservedMemoryBytes: reserved,
            labels: labels, cordoned: cordoned, reachable: reachable, templateDigests: templates)
    }

    static func guest(
        _ name: String, memory: UInt64 = 1 << 30, cpuMillis: Int = 1000, disk: UInt64 = 1 << 30,
        group: String? = nil, requires: [String: String] = [:], template: String = "", templateBytes: UInt64 = 0
    ) -> GuestDemand {
        GuestDemand(
            name: name, memoryBytes: memory, cpuMillis: cpuMillis, diskBytes: disk, group: group, requires: requires,
            templateDigest: template, templateBytes: templateBytes)
    }

    /// Guest count per host name.
    static func counts(_ placed: [PlacedGuest]) -> [String: Int] {
        placed.reduce(into: [:]) { $0[$1.host, default: 0] += 1 }
    }
}

/// A seeded generator (SplitMix64), so random tests are reproducible.
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
