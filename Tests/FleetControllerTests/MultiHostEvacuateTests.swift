@testable import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

/// `vfleet host evacuate H1 H2 …` on an in-memory store with the two fake
/// agents of the move engine's tests (host1, host2) and a third host only
/// the store knows: what is refused before anything changes, the hosts'
/// states, the plan and the events.
@Suite(.tags(.unit)) struct MultiHostEvacuateTests {
    static func host(_ name: String, state: StoredHost.State = .active, memory: UInt64 = 8 << 30) -> StoredHost {
        StoredHost(name: name, address: "10.0.0.3", port: 22, user: "root", identityFile: "/k", labels: [:], reservedMemoryBytes: 0,
                   state: state,
                   facts: HostFacts(hostname: name, kernel: "6.1", cgroupMode: "v2", cpus: 4, memoryBytes: memory, freeDiskBytes: 100 << 30,
                                    templates: [], guests: []),
                   hostKeyFingerprint: "SHA256:x", addedAt: 1, lastSeenAt: nil)
    }

    /// g1 runs on host1; host2 carries a 4G guest the fakes do not run
    /// (capacity only); host3 is empty and bigger, so spread would pick it
    /// first were it not drained.
    static func fleet(host3: StoredHost.State = .active) throws -> (MoveEngineTests.Fixture, Controller) {
        let f = try MoveEngineTests.Fixture(running: true)
        let c = try EventRecorderTests.movable(f, reason: "rack r1")
        try f.store.insertHost(Self.host("host3", state: host3, memory: 32 << 30))
        try f.store.insertGuest(StoredGuest(name: "big", template: "busybox", spec: GuestSpec(name: "big", template: "busybox"),
                                            memoryBytes: 4 << 30, cpuMillis: 1, diskBytes: 1, groupName: nil, requires: [:],
                                            desiredState: .running, createdAt: 1),
                                on: "host2")
        return (f, c)
    }

    static func states(_ c: Controller) throws -> [String: StoredHost.State] {
        Dictionary(uniqueKeysWithValues: try c.store.hosts().map { ($0.name, $0.state) })
    }

    @Test func refusesAnUnknownHostAHostNamedTwiceAndTheWholeFleet() throws {
        let (f, c) = try Self.fleet()
        let refusals: [([String], String)] = [
            (["host1", "nohost"], "cannot evacuate host nohost: unknown host (known: host1, host2, host3)"),
            (["host1", "host3", "host1"], "cannot evacuate host host1: it is named twice"),
            (["host3", "host1", "host2"], "cannot evacuate hosts host3, host1, host2: that is every host of the fleet"),
            ([], "no host named"),
        ]
        for (names, message) in refusals {
            for dryRun in [true, false] {
                let error = #expect(throws: FleetError.self, "\(names)") { _ = try c.evacuate(names, dryRun: dryRun) }
                #expect(error?.message.contains(message) == true, "\(names): \(error?.message ?? "")")
                #expect(try Self.states(c).values.allSatisfy { $0 == .active }, "\(names)")
            }
        }
        #expect(try c.store.placement(of: "g1")?.host == "host1")
        #expect(f.agents.state.withLock { $0.hosts["host1"]?.guests["g1"]?.running } == true)
        #expect(try c.store.operations().isEmpty)
    }

    /// With `--action stop` nothing has to go anywhere: the whole fleet may be named.
    @Test func stoppingEveryGuestOfTheWholeFleetIsAllowed() throws {
        let (f, c) = try Self.fleet()
        let report = try c.evacuate(["host1", "host2", "host3"], dryRun: false, action: .stop)
        #expect(report.unplaceable.map(\.guest).sorted() == ["big", "g1"])
        #expect(f.agents.state.withLock { $0.hosts["host1"]?.guests["g1"]?.running } == false)
        #expect(report.unplaceable.first { $0.guest == "g1" }.map { $0.stopped && $0.source == "host1" } == true)
    }

    @Test func drainsTwoHostsOntoTheThirdWithAnEventPerHost() throws {
        let (f, c) = try Self.fleet()
        var seenWhilePlanned: [String: StoredHost.State] = [:]
        let report = try c.evacuate(["host1", "host3"], dryRun: false, planned: { _ in seenWhilePlanned = (try? Self.states(c)) ?? [:] })
        // Both were marked before the first move, so no placement could pick either.
        #expect(seenWhilePlanned == ["host1": .evacuating, "host2": .active, "host3": .evacuating])
        #expect(report.moves.map { "\($0.guest) \($0.source ?? "-")→\($0.destination)" } == ["g1 host1→host2"])
        #expect(report.moves.allSatisfy { $0.error == nil }, "\(report.moves)")
        #expect(report.hosts.map(\.name) == ["host1", "host3"] && report.hosts.allSatisfy { $0.state == "evacuated" })
        #expect(try Self.states(c) == ["host1": .evacuated, "host2": .active, "host3": .evacuated])
        #expect(try c.store.placement(of: "g1")?.host == "host2")
        #expect(try c.store.guest("g1").origin == "host1")
        #expect(f.agents.state.withLock { $0.violations }.isEmpty)

        let evacuations = try c.events(EventFilter()).filter { $0.action == "host.evacuate" }
        #expect(evacuations.map { $0.host ?? "-" } == ["host1", "host3"])
        #expect(evacuations.map { $0.detail ?? "-" } == [
            "1 moved, 0 stopped in place; host evacuated (drained together with host3)",
            "0 moved, 0 stopped in place; host evacuated (drained together with host1)",
        ])
        #expect(evacuations.allSatisfy { $0.outcome == .ok && $0.reason == "rack r1" })
        let moves = try c.events(EventFilter()).filter { $0.action == "guest.move" }
        #expect(moves.map(\.command) == ["host.evacuate"])

        // host restore still works one host at a time.
        let back = try c.restore("host1", dryRun: false)
        #expect(back.moves.map(\.guest) == ["g1"] && back.moves.allSatisfy { $0.error == nil })
        #expect(try Self.states(c) == ["host1": .active, "host2": .active, "host3": .evacuated])
        #expect(try c.store.placement(of: "g1")?.host == "host1")
    }

    /// A guest of one of the hosts has a move in flight (its controller
    /// died at start-destination): the evacuation is refused with the
    /// hosts' states put back; `ops resume` finishes that move, and the
    /// evacuation run again drains both hosts.
    @Test func aMoveInFlightIsFinishedByOpsResumeBeforeTheEvacuation() throws {
        let (f, c) = try Self.fleet()
        f.agents.state.withLock { $0.fault = .init(step: .startDestination, call: -1, kind: .death) }
        #expect(throws: FleetError.self) { _ = try f.engine.start(f.params) { _ in } }
        let op = try #require(try c.store.inFlight().first)
        f.agents.state.withLock { $0.dead = false }
        try f.store.write { db in try db.execute(sql: "UPDATE operations SET owner = '1@elsewhere'") }

        let error = #expect(throws: FleetError.self) { _ = try c.evacuate(["host1", "host3"], dryRun: false) }
        #expect(error?.message.contains("guest g1 has operation \(op.id ?? 0)") == true, "\(error?.message ?? "")")
        #expect(try Self.states(c).values.allSatisfy { $0 == .active })

        let resumed = try c.resumeOperations(nil)
        #expect(resumed.map(\.outcome) == ["done"], "\(resumed)")
        #expect(try c.store.placement(of: "g1")?.host == "host2")
        let again = try c.evacuate(["host1", "host3"], dryRun: false)
        #expect(again.moves.isEmpty && again.hosts.allSatisfy { $0.state == "evacuated" })
        #expect(try Self.states(c) == ["host1": .evacuated, "host2": .active, "host3": .evacuated])
        #expect(f.agents.state.withLock { $0.violations }.isEmpty)
    }

    /// A plan that does not fit changes nothing: the hosts marked before it
    /// get their earlier states back.
    @Test func aRefusedPlanPutsTheHostsStatesBack() throws {
        let (_, c) = try Self.fleet(host3: .evacuated)
        _ = try c.setCordoned("host2", true)
        let error = #expect(throws: FleetError.self) { _ = try c.evacuate(["host1", "host3"], dryRun: false) }
        #expect(error?.message.hasPrefix("cannot evacuate hosts host1, host3: 1 guest(s) fit nowhere; nothing was changed") == true,
                "\(error?.message ?? "")")
        #expect(error?.message.contains("host3: being evacuated") == true && error?.message.contains("host2: cordoned") == true,
                "\(error?.message ?? "")")
        #expect(try Self.states(c) == ["host1": .active, "host2": .active, "host3": .evacuated])
        #expect(try c.store.placement(of: "g1")?.host == "host1")
    }
}
