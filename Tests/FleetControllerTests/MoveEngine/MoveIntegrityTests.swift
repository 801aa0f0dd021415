@testable import FleetController
import FleetProtocol
import Foundation
import Testing

/// A move never puts stale or corrupted data live (issue 17): the
/// controller dies right after the journal row of each step, someone
/// changes the hosts from outside (the staged copy corrupted, the source
/// started, run, edited, a host gone during the rollback), and `ops resume`
/// must end with the newest data live, the operation terminal (or
/// rollback_pending until the host answers) and its reason stored.
@Suite struct MoveIntegrityTests {
    typealias Fixture = MoveEngineTests.Fixture

    enum Change: String, CaseIterable, Sendable, CustomStringConvertible {
        case stagedCorrupted = "staged copy corrupted"
        case sourceStarted = "source started"
        case sourceRan = "source ran and stopped"
        case sourceEdited = "source layer edited"
        case sourceUnreachableInRollback = "source ran, source unreachable in the rollback"
        case destinationUnreachableInRollback = "source ran, destination unreachable in the rollback"

        var description: String { rawValue }

        func apply(_ s: inout FakeAgents.State) {
            switch self {
            case .stagedCorrupted: s.corruptStaging("g1")
            case .sourceStarted: s.startSource("g1")
            case .sourceRan: s.runSource("g1")
            case .sourceEdited: s.editSource("g1")
            case .sourceUnreachableInRollback:
                s.runSource("g1")
                s.unreachableInRollback = "host1"
            case .destinationUnreachableInRollback:
                s.runSource("g1")
                s.unreachableInRollback = "host2"
            }
        }

        var changesSource: Bool { self != .stagedCorrupted }
    }

    /// What the product promises for a resume at `step` after `change`.
    enum Expected: Equatable {
        /// Finished at the destination with the source's newest data.
        case done
        /// Rolled back: the source keeps its newest data and is placed.
        case rolledBack
        /// Finished, and the source that ran after the switch is kept.
        case doneKeepingSource
    }

    static func expected(at step: MoveStep, _ change: Change) -> Expected {
        switch step {
        // Resumed from the stop: the delta carries what changed, and a
        // corrupted staged file is replaced (the fake's delta sends all).
        case .template, .precopy, .stopSource, .delta, .verify: .done
        case .adopt: .rolledBack
        case .startDestination: change.changesSource ? .rolledBack : .done
        case .placement, .cleanupSource: change.changesSource ? .doneKeepingSource : .done
        }
    }

    /// The controller dies right after the journal row of `step`; `change`
    /// happens; a new controller resumes.
    static func crashChangeResume(_ f: Fixture, at step: MoveStep, _ change: Change,
                                  preferDestination: Bool = false) throws -> (StoredOperation, Controller.ResumeOutcome) {
        f.agents.state.withLock { $0.fault = .init(step: step, call: -1, kind: .death) }
        #expect(throws: FleetError.self) { _ = try f.engine.start(f.params) { _ in } }
        let op = try #require(try f.store.inFlight().first, "\(step.rawValue): nothing in flight after the death")
        f.agents.state.withLock { s in
            s.dead = false
            change.apply(&s)
        }
        return (op, Fixture.engine(f.store, f.agents).resume(op, preferDestination: preferDestination))
    }

    @Test(arguments: [true, false])
    func everyResumePointAfterEveryOutsideChangeKeepsTheNewestData(running: Bool) throws {
        for step in MoveStep.allCases {
            for change in Change.allCases {
                let f = try Fixture(running: running)
                let context = "\(change) at \(step.rawValue) (ran: \(running))"
                let (op, outcome) = try Self.crashChangeResume(f, at: step, change)
                let expected = Self.expected(at: step, change)
                var stored = try f.store.operation(op.id!)
                // A rollback calls the source only to start it again.
                let rollbackReachesTheHost = change == .destinationUnreachableInRollback || (change == .sourceUnreachableInRollback && running)
                if rollbackReachesTheHost && expected == .rolledBack {
                    // The rollback could not reach a host: it says so, and
                    // the operation still holds the guest until it can.
                    #expect(outcome.outcome == "rollback_pending", "\(context): \(outcome.outcome): \(outcome.detail)")
                    #expect(stored.state == .rollbackPending, "\(context)")
                    #expect(stored.error?.contains("handshake failed") == true, "\(context): \(stored.error ?? "no error")")
                    #expect(stored.reason?.contains("source changed") == true, "\(context): \(stored.reason ?? "no reason")")
                    #expect(try f.store.inFlight().map(\.id) == [op.id], "\(context)")
                    f.agents.state.withLock { s in
                        s.unreachable = []
                        s.unreachableInRollback = nil
                    }
                    let again = Fixture.engine(f.store, f.agents).resume(stored)
                    #expect(again.outcome == "rolled_back", "\(context): second resume \(again.outcome): \(again.detail)")
                    stored = try f.store.operation(op.id!)
                }
                try Self.expectNewestDataLive(f, stored, expected, change, context: "\(context): resume \(outcome.outcome): \(outcome.detail)")
            }
        }
    }

    /// `change` nil: the rollback was the move's own failure.
    static func expectNewestDataLive(_ f: Fixture, _ op: StoredOperation, _ expected: Expected, _ change: Change?, context: String) throws {
        let s = f.agents.state.withLock { $0 }
        #expect(try f.store.inFlight().isEmpty, "\(context)")
        #expect(s.hosts.values.allSatisfy { $0.staging.isEmpty }, "\(context): staging left behind")
        let placed = try f.store.placement(of: "g1")?.host
        switch expected {
        case .done, .doneKeepingSource:
            #expect(op.state == .done, "\(context): \(op.state.rawValue), reason \(op.reason ?? "-")")
            #expect(placed == "host2", "\(context)")
            let live = try #require(s.hosts["host2"]?.guests["g1"], "\(context): no guest at host2")
            #expect(live.running == f.params.wasRunning, "\(context)")
            if expected == .done {
                #expect(live.layer == s.latestLayer, "\(context): the live copy lacks the newest writes")
                #expect(s.hosts["host1"]?.guests["g1"] == nil, "\(context): source not cleaned up")
                #expect(s.violations.isEmpty, "\(context): \(s.violations)")
            } else {
                // The source ran after the switch: its writes stay with it.
                let kept = try #require(s.hosts["host1"]?.guests["g1"], "\(context): the source that ran again was destroyed")
                #expect(kept.layer == s.latestLayer, "\(context)")
            }
        case .rolledBack:
            #expect(op.state == .rolledBack, "\(context): \(op.state.rawValue)")
            #expect(placed == "host1", "\(context)")
            let reason = op.reason ?? ""
            if let change { #expect(reason.contains(change.changesSource ? "source changed" : "staged layer"), "\(context): reason \(reason)") }
            #expect(!reason.isEmpty, "\(context): no reason stored")
            #expect(s.hosts["host2"]?.guests["g1"] == nil, "\(context): the older copy stayed at the destination")
            let source = try #require(s.hosts["host1"]?.guests["g1"], "\(context): the source is gone")
            #expect(source.layer == s.latestLayer, "\(context): the source lost writes")
            #expect(source.running == (f.params.wasRunning || change == .sourceStarted), "\(context)")
            #expect(s.violations.isEmpty, "\(context): \(s.violations)")
        }
    }

    @Test(arguments: [MoveStep.adopt, .startDestination])
    func preferDestinationThrowsTheSourcesChangesAwayAndSaysSo(step: MoveStep) throws {
        for change in [Change.sourceStarted, .sourceRan, .sourceEdited] {
            let f = try Fixture(running: true)
            let context = "\(change) at \(step.rawValue)"
            let (op, outcome) = try Self.crashChangeResume(f, at: step, change, preferDestination: true)
            #expect(outcome.outcome == "done", "\(context): \(outcome.detail)")
            #expect(outcome.detail.contains("threw away guest g1's changes at host1"), "\(context): \(outcome.detail)")
            #expect(try f.store.operation(op.id!).state == .done)
            #expect(try f.store.steps(of: op.id!).contains { $0.state == "discarded" }, "\(context): not in the journal")
            let s = f.agents.state.withLock { $0 }
            #expect(s.hosts["host1"]?.guests["g1"] == nil, "\(context)")
            let live = try #require(s.hosts["host2"]?.guests["g1"])
            #expect(live.running, "\(context)")
            if change != .sourceStarted { #expect(live.layer != s.latestLayer, "\(context): the source's change went live?") }
        }
    }

    @Test func preferDestinationNeverAdoptsACorruptedCopy() throws {
        let f = try Fixture(running: true)
        let (op, outcome) = try Self.crashChangeResume(f, at: .adopt, .stagedCorrupted, preferDestination: true)
        #expect(outcome.outcome == "rolled_back", "\(outcome.detail)")
        let stored = try f.store.operation(op.id!)
        #expect(stored.reason?.contains("staged layer has another digest") == true, "\(stored.reason ?? "-")")
        try Self.expectNewestDataLive(f, stored, .rolledBack, .stagedCorrupted, context: "corrupted, --prefer destination")
    }

    /// A staged copy corrupted before verify (in transit, or on the
    /// destination's disk) is not adopted: verify takes only the source's
    /// digest, and adopt compares the staged tree with it.
    @Test func aStagedCopyCorruptedBeforeVerifyIsNotAdopted() throws {
        let f = try Fixture(running: true)
        f.agents.state.withLock { $0.onStep = ("verify", { $0.corruptStaging("g1") }) }
        #expect(throws: FleetError.self) { _ = try f.engine.start(f.params) { _ in } }
        let op = try #require(try f.store.operations().first)
        #expect(op.state == .rolledBack)
        #expect(op.reason?.hasPrefix("failed at adopt: cannot adopt guest g1: its staged layer has another digest") == true, "\(op.reason ?? "-")")
        try Self.expectNewestDataLive(f, op, .rolledBack, .stagedCorrupted, context: "corrupted before verify")
    }

    /// Verify asks for the source's digest only, never the staged tree's:
    /// adopt digests that one (Agent.adopt), so it is walked once while the
    /// guest is down, not twice.
    @Test func noDigestOfTheStagedTreeIsAskedForAndTheSourcesIs() throws {
        let f = try Fixture(running: true)
        _ = try f.engine.start(f.params) { _ in }
        let digests = f.agents.state.withLock { $0.digestCalls }
        #expect(digests.filter { $0.staging }.isEmpty, "\(digests)")
        #expect(!digests.filter { !$0.staging && $0.host == "host1" }.isEmpty, "\(digests)")
    }

    /// Cleanup's check of the source: a source layer edited on its host
    /// after the verification (no start, so no other start count) holds
    /// writes the live copy lacks; it is kept, not destroyed. Its digest is
    /// taken while the destination starts, so an edit made before that is
    /// seen.
    @Test func aSourceEditedBeforeTheStartIsKeptAtCleanup() throws {
        let f = try Fixture(running: true)
        f.agents.state.withLock { $0.onStep = ("start-destination", { $0.editSource("g1") }) }
        let result = try f.engine.start(f.params) { _ in }
        #expect(result.keptSource == true)
        #expect(result.notes?.first?.contains("kept guest g1 at host1: guest g1's layer at host1 changed since the move stopped it") == true,
                "\(result.notes ?? [])")
        let (source, live) = f.agents.state.withLock { ($0.hosts["host1"]?.guests["g1"], $0.hosts["host2"]?.guests["g1"]) }
        #expect(source?.layer == f.agents.state.withLock { $0.latestLayer }, "the edited source copy was destroyed")
        #expect(live?.running == true)
    }

    /// The destination's check at adopt: corruption after the verification
    /// is caught there, and the source survives.
    @Test func aStagedCopyCorruptedAfterVerifyIsNotAdopted() throws {
        let f = try Fixture(running: true)
        f.agents.state.withLock { $0.onStep = ("adopt", { $0.corruptStaging("g1") }) }
        #expect(throws: FleetError.self) { _ = try f.engine.start(f.params) { _ in } }
        let op = try #require(try f.store.operations().first)
        #expect(op.reason?.hasPrefix("failed at adopt: cannot adopt guest g1: its staged layer has another digest") == true, "\(op.reason ?? "-")")
        try Self.expectNewestDataLive(f, op, .rolledBack, .stagedCorrupted, context: "corrupted after verify")
    }

    /// The controller's check of the source at adopt: a source edited on
    /// its host after the verification (same start count, other layer)
    /// must not be replaced by the older verified copy.
    @Test func aSourceEditedAfterVerifyIsNotOverwritten() throws {
        let f = try Fixture(running: false)
        let (op, outcome) = try Self.crashChangeResume(f, at: .adopt, .sourceEdited)
        #expect(outcome.outcome == "rolled_back", "\(outcome.detail)")
        let stored = try f.store.operation(op.id!)
        #expect(stored.reason?.hasPrefix("failed at adopt: source changed: guest g1's layer at host1 changed since the move stopped it") == true,
                "\(stored.reason ?? "-")")
    }

    @Test func aSourceThatRanAgainAfterAdoptIsKeptAndTheAdoptedCopyRolledBack() throws {
        let f = try Fixture(running: true)
        let (op, outcome) = try Self.crashChangeResume(f, at: .startDestination, .sourceRan)
        #expect(outcome.outcome == "rolled_back", "\(outcome.detail)")
        #expect(outcome.detail.contains("source changed: guest g1 was started at host1 since the move stopped it (start count 0 then, 1 now)"),
                "\(outcome.detail)")
        let stored = try f.store.operation(op.id!)
        try Self.expectNewestDataLive(f, stored, .rolledBack, .sourceRan, context: "source ran after adopt")
    }

    @Test(arguments: MoveStep.allCases.filter { $0.recovery == .rollBack })
    func aRollbackThatCannotReachAHostIsPendingUntilResumed(step: MoveStep) throws {
        for host in ["host1", "host2"] {
            let f = try Fixture(running: true)
            f.agents.state.withLock { s in
                s.fault = .first(in: step, .error)
                s.unreachableInRollback = host
            }
            var message = ""
            do { _ = try f.engine.start(f.params) { _ in } } catch { message = error.message }
            let op = try #require(try f.store.operations().first)
            let context = "\(step.rawValue), \(host) unreachable"
            #expect(op.state == .rollbackPending, "\(context)")
            #expect(message.contains("rolling back failed too") && message.contains("rollback_pending")
                    && message.contains("vfleet ops resume \(op.id!)"), "\(context): \(message)")
            #expect(op.reason?.hasPrefix("failed at \(step.rawValue)") == true, "\(context): \(op.reason ?? "-")")
            // Nothing else may act on the guest meanwhile.
            #expect(throws: FleetError.self) { _ = try f.store.beginOperation(kind: "move", guest: "g1", host: "host1", params: "{}", firstStep: "begin") }
            // Still unreachable: still pending, and said.
            let still = Fixture.engine(f.store, f.agents).resume(op)
            #expect(still.outcome == "rollback_pending" && still.detail.contains("handshake failed"), "\(context): \(still.detail)")
            f.agents.state.withLock { s in
                s.unreachable = []
                s.unreachableInRollback = nil
            }
            let done = Fixture.engine(f.store, f.agents).resume(try f.store.operation(op.id!))
            #expect(done.outcome == "rolled_back", "\(context): \(done.detail)")
            let stored = try f.store.operation(op.id!)
            #expect(stored.reason?.hasPrefix("failed at \(step.rawValue)") == true, "\(context): reason lost: \(stored.reason ?? "-")")
            try Self.expectNewestDataLive(f, stored, .rolledBack, nil, context: context)
        }
    }

    /// `guest start` and `guest exec` of a guest a move has stopped would
    /// let the source run or take writes behind the move's back.
    @Test func startAndExecOfAGuestInAMoveAreRefusedNamingTheOperation() throws {
        let f = try Fixture(running: true)
        f.agents.state.withLock { $0.fault = .init(step: .startDestination, call: -1, kind: .death) }
        #expect(throws: FleetError.self) { _ = try f.engine.start(f.params) { _ in } }
        let op = try #require(try f.store.inFlight().first)
        f.agents.state.withLock { $0.dead = false }
        let c = Controller(store: f.store, settings: ControllerSettings(knownHostsFile: "/nonexistent", identityFile: "/nonexistent"),
                           transport: f.agents)
        let actions: [(String, () throws(FleetError) -> Void)] = [
            ("start", { () throws(FleetError) in _ = try c.startGuest("g1") }),
            ("exec", { () throws(FleetError) in _ = try c.execGuest("g1", argv: ["/bin/true"]) }),
        ]
        for (name, action) in actions {
            do throws(FleetError) {
                try action()
                Issue.record("guest \(name) of a guest in a move was not refused")
            } catch {
                #expect(error.code == .conflict, "\(name): \(error.message)")
                #expect(error.message.contains("operation \(op.id!) (move, step start-destination)")
                        && error.message.contains("vfleet ops resume \(op.id!)"), "\(name): \(error.message)")
            }
        }
        #expect(f.agents.state.withLock { $0.hosts["host1"]?.guests["g1"]?.running } == false, "the source was started")
    }
}
