@testable import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

/// The audit trail on an in-memory store: what the recorder writes for a
/// change that works and one that fails, retention, and that no event is
/// ever rewritten.
@Suite(.tags(.unit)) struct EventRecorderTests {
    static let alice = OperatorIdentity(user: "alice", machine: "ctl1")

    static func controller(_ store: FleetStore, reason: String? = nil, retention: String? = nil) throws -> Controller {
        var settings = ControllerSettings(knownHostsFile: "/nonexistent", identityFile: "/nonexistent")
        if let retention { try settings.set("events.retention", retention) }
        return Controller(store: store, settings: settings, transport: FakeAgents(guest: "g1", running: false), reason: reason,
                          identity: alice)
    }

    @Test func aChangeThatWorksWritesOneEventWithOperatorReasonAndOutcome() throws {
        let store = try FleetStore()
        let c = try Self.controller(store, reason: "kernel update")
        _ = try c.addPool("lan", cidr: "10.40.0.0/24", hosts: [], gateway: nil)
        let events = try c.events(EventFilter())
        #expect(events.count == 1)
        let e = try #require(events.first)
        #expect(e.action == "net.pool.add" && e.outcome == .ok && e.error == nil)
        #expect(e.user == "alice" && e.machine == "ctl1" && e.reason == "kernel update")
        #expect(e.detail == "pool lan 10.40.0.0/24")
        #expect(e.seconds >= 0 && abs(e.at - Date().timeIntervalSince1970) < 5)
    }

    @Test func aChangeThatFailsWritesAFailedEventWithItsErrorAndStillThrows() throws {
        let store = try FleetStore()
        let c = try Self.controller(store)
        let error = #expect(throws: FleetError.self) { _ = try c.setCordoned("nohost", true) }
        let e = try #require(try c.events(EventFilter()).first)
        #expect(e.action == "host.cordon" && e.host == "nohost" && e.outcome == .failed)
        #expect(e.error == error?.message && e.error?.contains("unknown host nohost") == true, "\(String(describing: e.error))")
        #expect(e.reason == nil)
    }

    @Test func aReasonIsOneLineOfText() throws {
        for bad in ["", "  ", "two\nlines", String(repeating: "x", count: 1001)] {
            #expect(throws: FleetError.self, "\(bad.prefix(10))") { _ = try EventRecorder.validate(reason: bad) }
        }
        #expect(try EventRecorder.validate(reason: " why ") == "why")
    }

    @Test func anOperationsEventNamesItsOperationAndOutcome() throws {
        // A move whose controller died at start-destination, resumed.
        let f = try MoveEngineTests.Fixture(running: true)
        f.agents.state.withLock { $0.fault = .init(step: .startDestination, call: -1, kind: .death) }
        #expect(throws: FleetError.self) { _ = try f.engine.start(f.params) { _ in } }
        let op = try #require(try f.store.inFlight().first)
        f.agents.state.withLock { $0.dead = false }
        try f.store.write { db in try db.execute(sql: "UPDATE operations SET owner = '1@elsewhere'") }
        let c = Controller(store: f.store, settings: ControllerSettings(knownHostsFile: "/k", identityFile: "/i"), transport: f.agents,
                           reason: "controller crashed", identity: Self.alice)
        let outcomes = try c.resumeOperations(nil)
        #expect(outcomes.map(\.outcome) == ["done"])
        let e = try #require(try c.events(EventFilter(operation: op.id)).first)
        #expect(e.action == "ops.resume" && e.guest == "g1" && e.host == "host1" && e.toHost == "host2")
        #expect(e.outcome == .ok && e.reason == "controller crashed" && e.operation == op.id)
        // --host matches a move's destination too.
        #expect(try c.events(EventFilter(host: "host2")).map(\.id) == [e.id])
        #expect(try c.events(EventFilter(guest: "g2")).isEmpty)
    }

    /// The two fake hosts with room for the fixture's guest, so that the
    /// scheduler lets the controller move it.
    static func movable(_ f: MoveEngineTests.Fixture, reason: String) throws -> Controller {
        for name in ["host1", "host2"] {
            var h = try f.store.host(name)
            h.facts = HostFacts(hostname: name, kernel: "6.1", cgroupMode: "v2", cpus: 4, memoryBytes: 8 << 30, freeDiskBytes: 100 << 30,
                                templates: [], guests: [])
            try f.store.updateHost(h)
        }
        return Controller(store: f.store, settings: ControllerSettings(knownHostsFile: "/k", identityFile: "/i"), transport: f.agents,
                          reason: reason, identity: alice)
    }

    @Test func aMoveRecordsItsOperationAndAFailedOneItsError() throws {
        let f = try MoveEngineTests.Fixture(running: true)
        let c = try Self.movable(f, reason: "drain host1")
        let moved = try c.moveGuest("g1", to: "host2")
        // Back to host1, which stops answering: the move fails, and so does
        // its rollback (left pending for `ops resume`).
        f.agents.state.withLock { _ = $0.unreachable.insert("host1") }
        let error = #expect(throws: FleetError.self) { _ = try c.moveGuest("g1", to: "host1") }
        let events = try c.events(EventFilter(guest: "g1"))
        #expect(events.map(\.action) == ["guest.move", "guest.move"])
        guard events.count == 2 else { return }
        #expect(events[0].outcome == .ok && events[0].operation == moved.operation && events[0].host == "host1" && events[0].toHost == "host2")
        #expect(events[0].reason == "drain host1" && events[0].user == "alice" && events[0].machine == "ctl1")
        let back = try #require(try c.operations().first)
        #expect(back.state == .rollbackPending)
        #expect(events[1].outcome == .failed && events[1].operation == back.id && events[1].host == "host2" && events[1].toHost == "host1")
        #expect(events[1].error == error?.message)

        // Once host1 answers, `ops resume` finishes the rollback: its event says rolled_back.
        f.agents.state.withLock { $0.unreachable = [] }
        let resumed = try Self.movable(f, reason: "host1 is back").resumeOperations(nil)
        #expect(resumed.map(\.outcome) == ["rolled_back"])
        let last = try #require(try c.events(EventFilter(operation: back.id)).last)
        #expect(last.action == "ops.resume" && last.outcome == .rolledBack && last.reason == "host1 is back")
    }

    @Test func anEvacuationRecordsItselfAndEachMoveAsPartOfIt() throws {
        let f = try MoveEngineTests.Fixture(running: true)
        let c = try Self.movable(f, reason: "maintenance")
        let report = try c.evacuate("host1", dryRun: false)
        #expect(report.state(of: "host1") == "evacuated")
        let events = try c.events(EventFilter())
        #expect(events.map(\.action) == ["guest.move", "host.evacuate"])
        #expect(events.map(\.command) == ["host.evacuate", nil])
        #expect(events.allSatisfy { $0.reason == "maintenance" && $0.outcome == .ok })
        #expect(events.last?.detail == "1 moved, 0 stopped in place; host evacuated")
        // A dry run changes nothing and writes nothing.
        _ = try c.evacuate("host2", dryRun: true, allowPartial: true)
        #expect(try c.events(EventFilter()).count == 2)
    }

    @Test func retentionDropsOnlyEventsOlderThanTheSetting() throws {
        let store = try FleetStore()
        let now = Date().timeIntervalSince1970
        func event(_ age: Double) -> StoredEvent {
            StoredEvent(at: now - age, user: "u", machine: "m", action: "test", outcome: .ok, seconds: 0)
        }
        try store.appendEvent(event(3 * 86_400), retention: 0)
        try store.appendEvent(event(1 * 86_400), retention: 0)
        #expect(try store.events(EventFilter()).count == 2, "retention 0 keeps every event")
        // A write with a retention of 2 days drops the 3-day-old one only.
        try store.appendEvent(event(0), retention: 2 * 86_400)
        let ages = try store.events(EventFilter()).map { Int((now - $0.at) / 86_400) }
        #expect(ages == [1, 0])
        // Through the controller: its setting applies on every event.
        let c = try Self.controller(store, retention: "12h")
        try c.setConfig("hosts.parallel", "8")
        let kept = try c.events(EventFilter())
        #expect(kept.map(\.action) == ["test", "config.set"])
        // Ids are never reused: the follow mark stays valid.
        #expect(kept.map(\.id) == [3, 4])
    }

    @Test func anEventIsNeverRewritten() throws {
        let store = try FleetStore()
        let c = try Self.controller(store)
        try c.setConfig("hosts.parallel", "8")
        #expect(throws: (any Error).self) {
            try store.write { db in try db.execute(sql: "UPDATE events SET outcome = 'failed', reason = 'edited'") }
        }
        let e = try #require(try c.events(EventFilter()).first)
        #expect(e.outcome == .ok && e.reason == nil)
    }

    @Test func followHandsOnEventsAsTheyCommitAndStopsWhenAsked() throws {
        let store = try FleetStore()
        let c = try Self.controller(store)
        try c.setConfig("hosts.parallel", "2")
        let mark = try c.lastEventId()
        let writer = Thread {
            for n in 3...5 { try? c.setConfig("hosts.parallel", String(n)); usleep(20_000) }
        }
        writer.start()
        var seen: [String] = []
        try c.followEvents(EventFilter(), after: mark, interval: 0.01) { batch in
            seen += batch.compactMap(\.detail)
            return seen.count < 3
        }
        #expect(seen == ["hosts.parallel = 3", "hosts.parallel = 4", "hosts.parallel = 5"])
    }
}
