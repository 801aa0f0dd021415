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
    /// Test hook of the fencing tests: the same point, where the process
    /// stops itself (SIGSTOP) like a controller frozen or cut off would,
    /// and goes on from there when continued.
    var stopAtStep: String? = ProcessInfo.processInfo.environment["VFLEET_TEST_STOP_AT_STEP"]

    /// Journals a new move and runs it.
    /// `begun` learns the operation's id before the first step.
    func start(_ params: MoveParams, begun: (Int64) -> Void = { _ in },
               progress: @escaping @Sendable (MoveProgress) -> Void) throws(FleetError) -> MoveResult {
        let id = try journal.begin(params)
        begun(id)
        return try drive(id, params, from: .template, progress: progress)
    }

    /// Runs the move's steps from `first` to the end.
    func drive(_ id: Int64, _ params: MoveParams, from first: MoveStep, preferDestination: Bool = false,
               progress: @escaping @Sendable (MoveProgress) -> Void) throws(FleetError) -> MoveResult {
        var current = first
        var run: MoveRun?
        defer { run?.finish() }
        do throws(FleetError) {
            let guest = try store.guest(params.guest)
            let transport = try fenced(id, params)
            let r = MoveRun(id: id, params: params, guest: guest, template: { [store] () throws(FleetError) in try store.template(guest.template) },
                            templateHolders: { [store] () throws(FleetError) in try TemplateDelivery.Holders.of(guest.template, in: store) },
                            source: try store.host(params.source), destination: try store.host(params.destination),
                            transport: transport, journal: journal, callTimeout: callTimeout, progress: progress)
            r.preferDestination = preferDestination
            run = r
            for step in MoveStep.allCases.drop(while: { $0 != first }) {
                current = step
                r.step = step
                try journal.beginStep(id, step.rawValue)
                if exitAtStep == step.rawValue { _exit(99) }
                if stopAtStep == step.rawValue { raise(SIGSTOP) }
                try step.run(r)
                try journal.noteStep(id, step.rawValue, state: "done", detail: nil)
                progress(MoveProgress(guest: params.guest, step: step.rawValue, bytes: 0, totalBytes: nil, seconds: Date().timeIntervalSince(r.began)))
            }
            try journal.finish(id, .done, error: nil, reason: nil)
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
                let reason = "failed at \(current.rawValue): \(error.message)"
                do {
                    do {
                        try rollback(id, params, reason: reason)
                    } catch where error.code == .unreachable {
                        // An agent killed a moment ago may be found dead
                        // only by the rollback's first call (its session was
                        // kept); that call dropped the session. The rollback
                        // is idempotent (ops resume repeats it): once more,
                        // on fresh sessions.
                        try rollback(id, params, reason: reason)
                    }
                } catch let rollbackError where FleetStore.isLostOwnership(rollbackError) {
                    // Taken over: the rollback is not this process's to do.
                    throw FleetError(error.code, "move of guest \(params.guest) \(reason); not rolled back here: \(rollbackError.message)")
                } catch let rollbackError {
                    throw FleetError(error.code, "move of guest \(params.guest) \(reason); rolling back failed too: \(rollbackError.message) (operation \(id) is rollback_pending: finish it with `vfleet ops resume \(id)` once the hosts answer)")
                }
                throw FleetError(error.code, "move of guest \(params.guest) to \(params.destination) \(reason); rolled back: the guest is at \(params.source)\(params.wasRunning ? " and runs" : "")")
            }
        }
    }

    /// Undoes a move that did not reach the placement switch: the
    /// destination's copy (staged or adopted) goes, the source runs again if
    /// it ran. The source copy was never touched, so nothing is lost.
    ///
    /// A host that cannot be reached leaves the operation rollback_pending
    /// (with the reason and what failed): it still holds its guest, and
    /// `ops resume` finishes the rollback. `reason` nil keeps the stored one.
    func rollback(_ id: Int64, _ params: MoveParams, reason: String?) throws(FleetError) {
        try journal.beginStep(id, "rollback")
        do throws(FleetError) {
            let transport = try fenced(id, params)
            let source = try store.host(params.source)
            let destination = try store.host(params.destination)
            // Only "no such guest" means nothing was adopted there: an
            // unreachable destination is not taken for an empty one.
            var adopted = true
            do {
                _ = try transport.call(RPC.GuestStatus(name: params.guest), on: destination)
            } catch where error.code == .notFound {
                adopted = false
            }
            if adopted {
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
        } catch {
            try? journal.finish(id, .rollbackPending, error: "rollback not finished: \(error.message)", reason: reason)
            throw error
        }
        try journal.finish(id, .rolledBack, error: nil, reason: reason)
    }

    /// The transport for operation `id`'s calls: each carries its fencing
    /// token, so that agents refuse them once a newer owner took it over.
    func fenced(_ id: Int64, _ params: MoveParams) throws(FleetError) -> any AgentTransport {
        FencedTransport.wrapping(transport, fence: Fence(guest: params.guest, token: try journal.fence(of: id), operation: id))
    }

    /// Finishes or rolls back a move whose controller died (or whose
    /// rollback is pending), from where its journal says it was.
    /// `preferDestination`: a source that ran or changed since the stop is
    /// stopped and its changes thrown away instead of the move rolling back.
    func resume(_ op: StoredOperation, preferDestination: Bool = false) -> Controller.ResumeOutcome {
        let id = op.id!
        guard op.kind == "move", let params = MoveParams(json: op.params) else {
            try? journal.finish(id, .failed, error: "unknown operation kind \(op.kind)", reason: nil)
            return .init(operation: id, guest: op.guest, outcome: "failed", detail: "unknown operation kind \(op.kind)")
        }
        guard let point = MoveJournalPoint(op.step) else {
            return .init(operation: id, guest: params.guest, outcome: "failed", detail: "unknown move step \(op.step)")
        }
        let restart: MoveStep
        switch point {
        case _ where op.state == .rollbackPending, .rollback:
            do throws(FleetError) {
                try rollback(id, params, reason: nil)
                return .init(operation: id, guest: params.guest, outcome: "rolled_back",
                             detail: "rolled back\(op.reason.map { " (\($0))" } ?? ""): the guest is at \(params.source)")
            } catch {
                return .init(operation: id, guest: params.guest, outcome: StoredOperation.State.rollbackPending.rawValue,
                             detail: "rolling back still fails: \(error.message) (run `vfleet ops resume \(id)` again once the hosts answer)")
            }
        case .begin: restart = .template
        case .step(let step): restart = step.resumePoint
        }
        do throws(FleetError) {
            let r = try drive(id, params, from: restart, preferDestination: preferDestination) { _ in }
            let notes = (r.notes ?? []).map { "; \($0)" }.joined()
            return .init(operation: id, guest: params.guest, outcome: "done",
                         detail: "finished from step \(restart.rawValue): the guest is at \(r.destination)\(notes)")
        } catch {
            let state = (try? store.operation(id).state) ?? .running
            let outcome = switch state {
            case .rolledBack, .rollbackPending: state.rawValue
            default: "failed"
            }
            return .init(operation: id, guest: params.guest, outcome: outcome, detail: error.message)
        }
    }
}
