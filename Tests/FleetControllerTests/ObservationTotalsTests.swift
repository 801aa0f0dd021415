import FleetController
import FleetProtocol
import FleetTestSupport
import Testing

/// What `vfleet serve` accumulates between observations: its own calls'
/// histograms and the hosts' CPU use, the rate of their guests' CPU time.
@Suite(.tags(.unit)) struct ObservationTotalsTests {
    static func host(_ name: String, reachable: Bool = true) -> HostReport {
        HostReport(name: name, address: "10.0.0.1:22", reachable: reachable, error: reachable ? nil : "unreachable", cordoned: false,
                   state: "active", kernel: nil, cgroupMode: nil, labels: [:], capacity: ResourceAmounts(memoryBytes: 1 << 30, cpuMillis: 2000),
                   reservedMemoryBytes: 0, allocated: ResourceAmounts(), usedMemoryBytes: nil, usedCPUSeconds: nil, freeDiskBytes: nil,
                   guestCount: 0, unknownGuests: [])
    }

    static func guest(_ name: String, on host: String, cpu: Double, state: String = "running") -> GuestReport {
        GuestReport(name: name, host: host, template: "busybox", group: nil, desiredState: "running", actualState: state, drift: false,
                    driftReason: nil, limits: GuestLimits(), reserved: ResourceAmounts(), memoryBytes: 1 << 20, cpuSeconds: cpu,
                    processes: 1, uptimeSeconds: 1)
    }

    static func snapshot(at: Double, hosts: [HostReport], guests: [GuestReport], hello: [String: Double] = [:]) -> FleetSnapshot {
        FleetSnapshot(report: InventoryReport(generatedAt: at, hosts: hosts, guests: guests), helloSeconds: hello, operations: [],
                      storeWriteSeconds: 0.001, at: at, seconds: 0.1)
    }

    @Test func hostCPUUseIsTheRateOfItsGuestsCPUTimeLeavingOutRestartsAndMoves() {
        var t = ObservationTotals()
        t.add(Self.snapshot(at: 100, hosts: [Self.host("h1"), Self.host("h2")], guests: [
            Self.guest("a", on: "h1", cpu: 10), Self.guest("b", on: "h1", cpu: 50), Self.guest("c", on: "h1", cpu: 5),
            Self.guest("d", on: "h2", cpu: 1),
        ], hello: ["h1": 0.002, "h2": 0.004]))
        // The first observation has nothing to compare with.
        #expect(t.cpuUsedCores.isEmpty)
        t.add(Self.snapshot(at: 104, hosts: [Self.host("h1"), Self.host("h2")], guests: [
            Self.guest("a", on: "h1", cpu: 12),  // 2 s in 4 s: half a core
            Self.guest("b", on: "h1", cpu: 1),   // restarted: its counter went back, left out
            Self.guest("c", on: "h2", cpu: 9),   // moved: left out on both hosts
            Self.guest("d", on: "h2", cpu: 1),   // idle
        ], hello: ["h1": 0.003, "h2": 0.5]))
        #expect(t.cpuUsedCores == ["h1": 0.5, "h2": 0])
        #expect(t.rounds == 2)
        #expect(t.helloSeconds["h1"]?.count == 2)
        #expect(t.helloSeconds["h2"]?.sum == 0.504)
        #expect(t.storeWriteSeconds.count == 2)

        // An unreachable host has no CPU figure, and a removed host's
        // latency histogram goes with it.
        t.add(Self.snapshot(at: 108, hosts: [Self.host("h1", reachable: false)], guests: [Self.guest("a", on: "h1", cpu: 0, state: "unknown")],
                            hello: ["h1": 5]))
        #expect(t.cpuUsedCores.isEmpty)
        #expect(t.helloSeconds.keys.sorted() == ["h1"])
    }
}
