import FleetController
import FleetProtocol

/// A fleet report as `vfleet inventory` would build it, without a cluster:
/// `hosts` hosts of ten guests each, figures from a fixed pseudo-random
/// sequence so every run is the same. Three hosts are unreachable (one with
/// an error holding markup), two cordoned, one evacuating; every 400th guest
/// drifted; one host runs guests the controller does not know.
enum SyntheticInventory {
    static let gib: UInt64 = 1 << 30
    static let mib: UInt64 = 1 << 20
    static let guestsPerHost = 10
    static let unreachableIndexes: Set<Int> = [13, 201, 377]
    static let kinds = ["web", "api", "db", "cache", "batch", "queue"]

    static func hostName(_ index: Int) -> String {
        "rack\(padded(index / 40 + 1, 2))-node\(padded(index % 40 + 1, 3))"
    }

    static func guestName(_ index: Int) -> String {
        "\(kinds[index % kinds.count])-\(padded(index, 4))"
    }

    static func report(hosts hostCount: Int) -> InventoryReport {
        var random = SplitMix(seed: 21)
        var hosts: [HostReport] = []
        var guests: [GuestReport] = []
        for index in 0..<hostCount {
            let name = hostName(index)
            let reachable = !unreachableIndexes.contains(index)
            let memory = [32, 64, 128, 256][index % 4] * gib
            var allocated: UInt64 = 0
            var used: UInt64 = 0
            var cpuSeconds = 0.0
            for slot in 0..<guestsPerHost {
                let number = index * guestsPerHost + slot
                let limit = [256, 512, 1024, 2048, 4096][Int(random.next() % 5)] * mib
                // The last guest on host 4 is allocated far beyond the others, so that host is overcommitted.
                let reserved = index == 4 && slot == 0 ? 2 * memory : limit
                allocated += reserved
                let drifted = number % 400 == 7
                let stopped = number % 97 == 3
                let running = reachable && !stopped && !drifted
                let usage = running ? UInt64(Double(limit) * Double(random.next() % 1000) / 1000) : nil
                if let usage { used += usage }
                let seconds = running ? Double(random.next() % 5_000_000) / 10 : nil
                cpuSeconds += seconds ?? 0
                guests.append(GuestReport(
                    name: guestName(number), host: name, template: number % 3 == 0 ? "debian-12" : "busybox",
                    group: number % 5 == 0 ? kinds[number % kinds.count] : nil,
                    desiredState: stopped ? "stopped" : "running",
                    actualState: !reachable ? "unknown" : (drifted ? "stopped" : (stopped ? "stopped" : "running")),
                    drift: reachable && drifted,
                    driftReason: reachable && drifted ? "desired running, host reports stopped" : nil,
                    limits: GuestLimits(memoryBytes: limit, cpuMillis: [250, 500, 1000, 2000][number % 4]),
                    reserved: ResourceAmounts(memoryBytes: reserved, cpuMillis: 500, diskBytes: 2 * gib),
                    memoryBytes: usage, cpuSeconds: seconds, processes: running ? Int(random.next() % 60) + 1 : nil,
                    uptimeSeconds: running ? Double(random.next() % 9_000_000) : nil))
            }
            let error = index == 201 ? "ssh: connect to 10.0.3.201 port 22: <b>No route</b> to host (after 5s; check the network)"
                : "ssh: connect to 10.0.\(index / 256).\(index % 256) port 22: connection timed out after 5s"
            hosts.append(HostReport(
                name: name, address: "10.0.\(index / 256).\(index % 256)", reachable: reachable,
                error: reachable ? nil : error, cordoned: index == 50 || index == 51,
                state: index == 60 ? "evacuating" : "active",
                kernel: reachable ? ["6.1.0-28-amd64", "6.8.0-51-generic"][index % 2] : nil,
                cgroupMode: reachable ? "v2" : nil, labels: ["rack": "r\(index / 40 + 1)", "zone": "z\(index % 3)"],
                capacity: ResourceAmounts(memoryBytes: memory, cpuMillis: [8, 16, 32, 64][index % 4] * 1000,
                                          diskBytes: 1800 * gib),
                reservedMemoryBytes: 2 * gib,
                allocated: ResourceAmounts(memoryBytes: allocated, cpuMillis: 5000, diskBytes: 20 * gib),
                usedMemoryBytes: reachable ? used : nil, usedCPUSeconds: reachable ? cpuSeconds : nil,
                freeDiskBytes: reachable ? 1700 * gib : nil, guestCount: guestsPerHost,
                unknownGuests: index == 7 ? ["legacy-db", "old-web"] : []))
        }
        return InventoryReport(generatedAt: 1_796_526_000, hosts: hosts, guests: guests)
    }

    private static func padded(_ n: Int, _ digits: Int) -> String {
        let text = String(n)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    /// SplitMix64: a fixed sequence, the same on every run and machine.
    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
