import FleetProtocol
import Foundation
import Glibc

/// Drives a move through its steps (MoveStep), writing each to the journal
/// before it is taken. A failure before the placement switch rolls back, so
/// the guest ends on exactly one host; a failure after it leaves the move to
/// be finished by `ops resume`, which restarts where the journal says.
struct MoveEngine: Sendable {
    /// Guests, hosts and templates are read from here.
    let store: FleetStore
    let journal: any MoveJournal
    let transport: any AgentTransport
    let callTimeout: Double
    /// Test hook of the cluster tests: the journal row of this step is
    /// written, the step not yet taken; the process dies there like a
    /// killed controller would.
    var exitAtStep: String? = ProcessInfo.processInfo.environment["VFLEET_TEST_CRASH_AT_STEP"]

    /// Journals a new move and runs it.
    func start(_ params: MoveParams, progress: @escaping @Sendable (MoveProgress) -> Void) throws(FleetError) -> MoveResult {
        let id = try journal.begin(params)
        return try drive(id, params, from: .template, progress: progress)
    }

    /// Runs the move's steps from `first` to the end.
    func drive(_ id: Int64, _ params: MoveParams, from first: MoveStep,
               progress: @escaping @Sendable (MoveProgress) -> Void) throws(FleetError) -> MoveResult {
        var current = first
        var run: MoveRun?
        defer { run?.finish() }
        do throws(FleetError) {
            let guest = try store.guest(params.guest)
            let r = MoveRun(id: id, params: params, guest: guest, template: { [store] () throws(FleetError) in try store.template(guest.template) },
                            source: try store.host(params.source), destination: try store.host(params.destination),
                            transport: transport, journal: journal, callTimeout: callTimeout, progress: progress)
            run = r
            for step in MoveStep.allCases.drop(while: { $0 != first }) {
                current = step
                r.step = step
                try journal.beginStep(id, step.rawValue)
                if exitAtStep == step.rawValue { _exit(99) }
                try step.run(r)
                try journal.noteStep(id, step.rawValue, state: "done", detail: nil)
                progress(MoveProgress(guest: params.guest, step: step.rawValue, bytes: 0, totalBytes: nil, seconds: Date().timeIntervalSince(r.began)))
            }
            try journal.finish(id, .done, error: nil)
            r.result.seconds = Date().timeIntervalSince(r.began)
            return r.result
        } catch {
            try? journal.noteStep(id, current.rawValue, state: "failed", detail: error.message)
            switch current.recovery {
            case .rollForward:
                // The guest runs at the destination and is placed there: only cleanup is left.
                throw FleetError(error.code, "move of guest \(params.guest) to \(params.destination) is done but \(current.rawValue) failed: \(error.message) (finish with `vfleet ops resume \(id)`)")
            case .rollBack:
                run?.finish()
                run = nil
                do {
                    try rollback(id, params)
                } catch let rollbackError {
                    throw FleetError(error.code, "move of guest \(params.guest) failed at \(current.rawValue): \(error.message); rolling back failed too: \(rollbackError.message) (the operation stays in flight: `vfleet ops resume \(id)`)")
                }
                throw FleetError(error.code, "move of guest \(params.guest) to \(params.destination) failed at \(current.rawValue): \(error.message); rolled back: the guest is at \(params.source)\(params.wasRunning ? " and runs" : "")")
            }
        }
    }

    /// Undoes a move that did not reach the placement switch: the
    /// destination's copy (staged or adopted) goes, the source runs again if
    /// it ran. The source copy was never touched, so nothing is lost.
    func rollback(_ id: Int64, _ params: MoveParams) throws(FleetError) {
        try journal.beginStep(id, "rollback")
        let source = try store.host(params.source)
        let destination = try store.host(params.destination)
        if (try? transport.call(RPC.GuestStatus(name: params.guest), on: destination)) != nil {
            // Adopted there: it must stop before the source may start. The
            // source copy is intact (cleanup-source comes after placement).
            _ = try transport.call(RPC.GuestDestroy(name: params.guest, force: true), on: destination)
        }
        _ = try transport.call(RPC.GuestDiscardStaging(name: params.guest), on: destination)
        if params.wasRunning {
            let st = try transport.call(RPC.GuestStatus(name: params.guest), on: source)
            if st.state != .running {
                _ = try transport.call(RPC.GuestStart(name: params.guest), on: source)
            }
        }
        try journal.finish(id, .rolledBack, error: nil)
    }

    /// Finishes or rolls back a move whose controller died, from where its
    /// journal says it was.
    func resume(_ op: StoredOperation) -> Controller.ResumeOutcome {
        let id = op.id!
        guard op.kind == "move", let params = MoveParams(json: op.params) else {
            try? journal.finish(id, .failed, error: "unknown operation kind \(op.kind)")
            return .init(operation: id, guest: op.guest, outcome: "failed", detail: "unknown operation kind \(op.kind)")
        }
        guard let point = MoveJournalPoint(op.step) else {
            return .init(operation: id, guest: params.guest, outcome: "failed", detail: "unknown move step \(op.step)")
        }
        let restart: MoveStep
        switch point {
        case .begin: restart = .template
        case .step(let step): restart = step.resumePoint
        case .rollback:
            do throws(FleetError) {
                try rollback(id, params)
                return .init(operation: id, guest: params.guest, outcome: "rolled_back", detail: "rolled back: the guest is at \(params.source)")
            } catch {
                return .init(operation: id, guest: params.guest, outcome: "failed", detail: error.message)
            }
        }
        do throws(FleetError) {
            let r = try drive(id, params, from: restart) { _ in }
            return .init(operation: id, guest: params.guest, outcome: "done",
                         detail: "finished from step \(restart.rawValue): the guest is at \(r.destination)")
        } catch {
            let state = (try? store.operation(id).state) ?? .running
            return .init(operation: id, guest: params.guest, outcome: state == .rolledBack ? "rolled_back" : "failed", detail: error.message)
        }
    }
}
