@testable import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

/// A sync and a move of one guest never overlap (Controller+SyncLock): a
/// sync is refused while a move of its guest is in flight, a move waits
/// for a running sync, a sync left by a dead controller is ended by resume.
/// On the move engine's fake agents (host1 runs g1, host2 is empty).
@Suite(.tags(.unit)) struct SyncLockTests {
    /// Ends sync operation `id` from another thread after a while, as a
    /// sync's own controller would when its stream is done.
    static func end(_ id: Int64, in store: FleetStore, afterMicroseconds delay: useconds_t) {
        Thread {
            usleep(delay)
            try? store.finishOperation(id, state: .done)
        }.start()
    }

    static func fleet() throws -> (MoveEngineTests.Fixture, Controller) {
        let f = try MoveEngineTests.Fixture(running: true)
        let c = try EventRecorderTests.movable(f, reason: "sync lock")
        try f.store.saveReplica(StoredReplica(guest: "g1", host: "host2", everySeconds: 60, createdAt: 1))
        return (f, c)
    }

    @Test func aSyncIsRefusedWhileAMoveOfItsGuestIsInFlight() throws {
        let (f, c) = try Self.fleet()
        let move = try c.store.beginOperation(kind: "move", guest: "g1", host: "host1", params: try f.params.json(), firstStep: "begin")
        let error = #expect(throws: FleetError.self) { _ = try c.syncReplica("g1") }
        #expect(error?.code == .conflict, "\(error?.message ?? "")")
        #expect(error?.message.contains("a sync never runs during a move") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("operation \(move.id!) (move") == true, "\(error?.message ?? "")")
        // Nothing was asked of the agents, and the move's operation is untouched.
        #expect(f.agents.state.withLock { $0.callsPerStep.isEmpty })
        #expect(try c.store.operation(move.id!).state == .running)
        #expect(try c.store.operations().filter { $0.kind == Controller.syncKind }.isEmpty)
    }

    @Test func aMoveWaitsForARunningSyncOfItsGuest() throws {
        let (_, c) = try Self.fleet()
        let sync = try c.store.beginOperation(kind: Controller.syncKind, guest: "g1", host: "host2", params: "{}", firstStep: "send")
        // Refused after the wait when the sync does not end.
        let error = #expect(throws: FleetError.self) { try c.awaitSyncEnd(of: "g1", upTo: 0.3) }
        #expect(error?.message.contains("is being synced (operation \(sync.id!)") == true, "\(error?.message ?? "")")
        // The sync ends while the move waits: the move goes on after it.
        Self.end(sync.id!, in: c.store, afterMicroseconds: 500_000)
        let began = Date().timeIntervalSince1970
        let moved = try c.moveGuest("g1", to: "host2")
        let move = try c.store.operation(moved.operation)
        let ended = try #require(try c.store.steps(of: sync.id!).last?.at)
        #expect(move.createdAt >= ended, "the move began (\(move.createdAt)) after the sync ended (\(ended))")
        #expect(Date().timeIntervalSince1970 - began >= 0.4)
        #expect(try c.store.placement(of: "g1")?.host == "host2")
    }

    /// An evacuation is not refused for a guest that syncs: its move waits.
    @Test func anEvacuationWaitsForASyncOfAGuestItMoves() throws {
        let (_, c) = try Self.fleet()
        let sync = try c.store.beginOperation(kind: Controller.syncKind, guest: "g1", host: "host2", params: "{}", firstStep: "send")
        Self.end(sync.id!, in: c.store, afterMicroseconds: 300_000)
        let report = try c.evacuate("host1", dryRun: false)
        #expect(report.moves.map(\.guest) == ["g1"] && report.moves.allSatisfy { $0.error == nil }, "\(report.moves)")
        #expect(try c.store.placement(of: "g1")?.host == "host2")
    }

    /// An operator's stop waits for a scheduled sync instead of failing;
    /// exec is not held up by a sync (its point is the frozen layer).
    @Test func aStopWaitsForASyncAndExecIsNotHeldUp() throws {
        let (f, c) = try Self.fleet()
        let sync = try c.store.beginOperation(kind: Controller.syncKind, guest: "g1", host: "host2", params: "{}", firstStep: "send")
        // exec goes to the agent (the fake ones do not answer it), no conflict.
        let exec = #expect(throws: FleetError.self) { _ = try c.execGuest("g1", argv: ["/bin/true"]) }
        #expect(exec?.code == .unsupported, "exec during a sync: \(exec?.message ?? "")")
        Self.end(sync.id!, in: c.store, afterMicroseconds: 400_000)
        let began = Date().timeIntervalSince1970
        _ = try c.stopGuest("g1")
        #expect(Date().timeIntervalSince1970 - began >= 0.3, "the stop did not wait for the sync")
        #expect(f.agents.state.withLock { $0.hosts["host1"]?.guests["g1"]?.running } == false)
        #expect(try c.store.operation(sync.id!).state == .done)
    }

    @Test func aSyncLeftInFlightIsEndedByResume() throws {
        let (_, c) = try Self.fleet()
        let sync = try c.store.beginOperation(kind: Controller.syncKind, guest: "g1", host: "host2", params: "{}", firstStep: "send")
        try c.store.write { db in try db.execute(sql: "UPDATE operations SET owner = '1@elsewhere'") }
        let outcomes = try c.resumeOperations(sync.id!)
        #expect(outcomes.first?.detail.contains("kept its previous complete point") == true, "\(outcomes)")
        #expect(try c.store.operation(sync.id!).state == .failed)
        #expect(try c.store.operationInFlight(guest: "g1") == nil)
    }
}
