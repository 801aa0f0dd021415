@testable import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import Synchronization
import Testing

/// The move engine against two fake agents and an in-memory store: for
/// every step, and every agent call within it, an error, a timeout or the
/// controller's death there ends, once `ops resume` has run where the
/// product says to, with the guest on exactly one host, running iff it ran
/// before, never running on two hosts meanwhile, with nothing lost, and the
/// journal in a terminal state. No root, no network: milliseconds.
@Suite(.tags(.unit)) struct MoveEngineTests {
    struct Fixture {
        let store: FleetStore
        let agents: FakeAgents
        let engine: MoveEngine
        let params: MoveParams

        init(running: Bool) throws {
            store = try FleetStore()
            for name in ["host1", "host2"] {
                try store.insertHost(StoredHost(name: name, address: "10.0.0.1", port: 22, user: "root", identityFile: "/k", labels: [:],
                                                reservedMemoryBytes: 0, facts: nil, hostKeyFingerprint: "SHA256:x", addedAt: 1, lastSeenAt: nil))
            }
            try store.insertTemplate(StoredTemplate(name: "busybox", digest: "d-busybox", fileCount: 1, totalBytes: 1, archivePath: "/a",
                                                    archiveBytes: 1, addedAt: 1))
            try store.insertGuest(StoredGuest(name: "g1", template: "busybox", spec: GuestSpec(name: "g1", template: "busybox"), memoryBytes: 1,
                                              cpuMillis: 1, diskBytes: 1, groupName: nil, requires: [:], desiredState: .running, createdAt: 1),
                                  on: "host1")
            agents = FakeAgents(guest: "g1", running: running)
            engine = Self.engine(store, agents)
            params = MoveParams(guest: "g1", source: "host1", destination: "host2", keepSource: false, wasRunning: running, digest: nil, origin: nil)
        }

        /// A controller's engine; another one after a death reads the same store.
        static func engine(_ store: FleetStore, _ agents: FakeAgents) -> MoveEngine {
            MoveEngine(store: store, journal: FakeJournal(store: StoreJournal(store: store), agents: agents), transport: agents,
                       callTimeout: 1, exitAtStep: nil)
        }

        /// Runs the move; a move left in flight is resumed once, by a new
        /// engine, as `vfleet ops resume` would.
        func moveAndResume() throws -> (moved: Bool, resumed: Controller.ResumeOutcome?) {
            var moved = true
            do { _ = try engine.start(params) { _ in } } catch { moved = false }
            var resumed: Controller.ResumeOutcome?
            if let op = try store.inFlight().first {
                agents.state.withLock { $0.dead = false }
                resumed = Self.engine(store, agents).resume(op)
            }
            return (moved, resumed)
        }

        /// The invariants; `context` names the fault for the failure message.
        func expectSettled(_ context: String) throws {
            let ops = try store.operations()
            #expect(ops.count == 1, "\(context)")
            let op = try #require(ops.first)
            #expect(op.state == .done || op.state == .rolledBack, "\(context): journal left \(op.state.rawValue) at \(op.step)")
            #expect(try store.inFlight().isEmpty, "\(context)")
            let s = agents.state.withLock { $0 }
            let copies = s.hosts.filter { $0.value.guests["g1"] != nil }.map(\.key).sorted()
            #expect(copies.count == 1, "\(context): copies on \(copies)")
            #expect(s.violations.isEmpty, "\(context): \(s.violations)")
            guard let at = copies.first, let copy = s.hosts[at]?.guests["g1"] else { return }
            let placed = try store.placement(of: "g1")?.host
            #expect(placed == at, "\(context): placed at \(placed ?? "-"), is at \(at)")
            #expect(at == (op.state == .done ? "host2" : "host1"), "\(context): \(op.state.rawValue) but the guest is at \(at)")
            #expect(copy.running == params.wasRunning, "\(context): running \(copy.running), ran before \(params.wasRunning)")
            #expect(copy.layer == s.latestLayer, "\(context): the layer lost writes")
            #expect(s.hosts.values.allSatisfy { $0.staging.isEmpty }, "\(context): staging left behind")
        }
    }

    @Test(arguments: [true, false])
    func aMoveWithoutFaultsEndsAtTheDestination(running: Bool) throws {
        let f = try Fixture(running: running)
        let result = try f.engine.start(f.params) { _ in }
        #expect(result.templateSent)
        #expect(try f.store.operation(result.operation).state == .done)
        try f.expectSettled("no fault")
        #expect(try f.store.placement(of: "g1")?.host == "host2")
        // The steps' journal rows, in order, each begun and done.
        let begun = try f.store.steps(of: result.operation).filter { $0.state == "begun" }.map(\.step)
        #expect(begun == ["begin"] + MoveStep.allCases.map(\.rawValue))
    }

    /// Progress says each step is done once: a copy with nothing to
    /// report (an empty layer here; a direct copy until its end) does not
    /// say it too (the demo printed "precopy done" twice per guest).
    @Test func eachStepIsReportedDoneOnce() throws {
        let f = try Fixture(running: false)
        f.agents.state.withLock { s in
            s.hosts["host1"]?.guests["g1"]?.layer = [:]
            s.latestLayer = [:]
        }
        let seen = Mutex<[String]>([])
        _ = try f.engine.start(f.params) { p in if p.bytes == 0 { seen.withLock { $0.append(p.step) } } }
        let done = seen.withLock { $0 }
        #expect(done == MoveStep.allCases.map(\.rawValue), "\(done)")
    }

    /// How many agent calls each step makes in a move without faults.
    static func callsPerStep(running: Bool) throws -> [MoveStep: Int] {
        let f = try Fixture(running: running)
        _ = try f.engine.start(f.params) { _ in }
        let calls = f.agents.state.withLock { $0.callsPerStep }
        return Dictionary(uniqueKeysWithValues: MoveStep.allCases.map { ($0, calls[$0.rawValue] ?? 0) })
    }

    static func faults(running: Bool) throws -> [FakeAgents.Fault] {
        var all: [FakeAgents.Fault] = []
        for (step, calls) in try callsPerStep(running: running).sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            all.append(.init(step: step, call: -1, kind: .death))
            for call in 0..<calls {
                for kind in FakeAgents.FaultKind.allCases { all.append(.init(step: step, call: call, kind: kind)) }
            }
        }
        // Verify waits for the digest asked for beside the delta only with
        // older agents (Fault.first(in:) plants its faults with them).
        for kind in FakeAgents.FaultKind.allCases { all.append(.first(in: .verify, kind)) }
        return all
    }

    @Test(arguments: [true, false])
    func everyStepHasCallsToFail(running: Bool) throws {
        let calls = try Self.callsPerStep(running: running)
        // Verify takes the digest the delta brought; with older agents it
        // waits for the one asked for beside the delta, where faults are
        // planted by its label (Fault.first(in:), faults(running:)).
        for step in MoveStep.allCases where step != .verify {
            #expect(calls[step, default: 0] > 0, "\(step.rawValue) makes no call: no fault could be planted there")
        }
    }

    /// The stopped source is walked once during the delta, for the delta
    /// and its digest: no guest.digest of any layer is asked for between
    /// the stop and the start (adopt digests the staged tree itself).
    @Test(arguments: [true, false])
    func theDeltaBringsTheSourcesDigestAndNoDigestIsAskedForWhileTheGuestIsDown(running: Bool) throws {
        let f = try Fixture(running: running)
        let result = try f.engine.start(f.params) { _ in }
        let (calls, deltas) = f.agents.state.withLock { ($0.digestCalls, $0.deltasWithDigest) }
        #expect(deltas == 1)
        let down = Set(["stop-source", "delta", "verify", "adopt"])
        #expect(calls.filter { down.contains($0.step) }.isEmpty, "\(calls)")
        #expect(result.keptSource != true)
        #expect(try f.store.operations().first?.state == .done)
        try f.expectSettled("a move with the delta's digest")
    }

    /// An older agent, which refuses the delta's `digest` (and never said
    /// it has it): it is not asked, its digest is asked for beside the
    /// delta, and the move ends as before.
    @Test func anOlderAgentIsNotAskedForTheDeltasDigestAndDigestsBesideIt() throws {
        let f = try Fixture(running: true)
        f.agents.state.withLock { $0.deltaDigest = false }
        _ = try f.engine.start(f.params) { _ in }
        let (calls, deltas) = f.agents.state.withLock { ($0.digestCalls, $0.deltasWithDigest) }
        #expect(deltas == 0)
        #expect(calls.contains { $0.host == "host1" && !$0.staging && ($0.step == "delta" || $0.step == "verify") }, "\(calls)")
        #expect(try f.store.operations().first?.state == .done)
        try f.expectSettled("a move without the delta's digest")
    }

    @Test(arguments: [true, false])
    func aFaultAtAnyCallOfAnyStepEndsWithOneCopyAndATerminalJournal(running: Bool) throws {
        let faults = try Self.faults(running: running)
        #expect(faults.count > 3 * MoveStep.allCases.count)
        for fault in faults {
            let f = try Fixture(running: running)
            f.agents.state.withLock { $0.fault = fault }
            let outcome = try f.moveAndResume()
            let fired = f.agents.state.withLock { $0.fired }
            #expect(fired, "\(fault) was never reached")
            try f.expectSettled("\(fault) (moved: \(outcome.moved), resume: \(outcome.resumed.map { "\($0.outcome): \($0.detail)" } ?? "none"))")
        }
    }

    /// The source's digest asked for in the background: cleanup's (while
    /// the destination starts).
    @Test(arguments: FakeAgents.FaultKind.allCases, [MoveStep.startDestination])
    func aFaultInTheSourcesBackgroundDigestEndsWithOneCopy(kind: FakeAgents.FaultKind, from step: MoveStep) throws {
        let f = try Fixture(running: true)
        let fault = FakeAgents.Fault(step: step, call: 0, kind: kind, label: FakeAgents.backgroundCall)
        f.agents.state.withLock { $0.fault = fault }
        let outcome = try f.moveAndResume()
        #expect(f.agents.state.withLock { $0.fired }, "\(fault) was never reached")
        try f.expectSettled("\(fault) (moved: \(outcome.moved))")
    }

    @Test func aFailureBeforeThePlacementRollsBackAndOneAfterItRollsForward() throws {
        for step in MoveStep.allCases {
            let f = try Fixture(running: true)
            f.agents.state.withLock { $0.fault = .first(in: step, .error) }
            var message = ""
            do { _ = try f.engine.start(f.params) { _ in } } catch { message = error.message }
            let op = try #require(try f.store.operations().first)
            switch step.recovery {
            case .rollBack:
                #expect(op.state == .rolledBack, "\(step.rawValue)")
                #expect(message.contains("failed at \(step.rawValue)") && message.contains("rolled back: the guest is at host1 and runs"), "\(message)")
            case .rollForward:
                #expect(op.state == .running, "\(step.rawValue)")
                #expect(message.contains("is done but \(step.rawValue) failed") && message.contains("vfleet ops resume \(op.id!)"), "\(message)")
            }
        }
    }

    @Test func aResumeRestartsWhereTheTableSays() throws {
        for step in MoveStep.allCases {
            let f = try Fixture(running: true)
            f.agents.state.withLock { $0.fault = .init(step: step, call: -1, kind: .death) }
            let outcome = try f.moveAndResume()
            let resumed = try #require(outcome.resumed, "\(step.rawValue)")
            #expect(resumed.outcome == "done", "\(step.rawValue): \(resumed.detail)")
            #expect(resumed.detail.contains("finished from step \(step.resumePoint.rawValue)"), "\(step.rawValue): \(resumed.detail)")
        }
    }
}
