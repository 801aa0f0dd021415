import FleetProtocol
import FleetSystem
import Foundation
import Glibc

extension Controller {
    public struct ResumeOutcome: Codable, Sendable {
        public var operation: Int64
        public var guest: String?
        /// done, rolled_back, rollback_pending, skipped, failed.
        public var outcome: String
        public var detail: String
    }

    /// `vfleet ops resume [ID] [--prefer destination]`: finishes or rolls
    /// back operations left in flight by a controller that died, and
    /// finishes pending rollbacks. An operation whose owner still runs on
    /// this machine is left to it. A move whose source ran or changed since
    /// its stop rolls back, unless `preferDestination` (then the source's
    /// changes are thrown away, and the outcome says which).
    public func resumeOperations(_ id: Int64?, preferDestination: Bool = false) throws(FleetError) -> [ResumeOutcome] {
        let ops: [StoredOperation]
        if let id {
            let op = try store.operation(id)
            guard op.state.inFlight else {
                throw .conflict("operation \(id) is not in flight (it is \(op.state.rawValue))")
            }
            ops = [op]
        } else {
            ops = try store.inFlight().sorted(by: Self.resumeOrder)
        }
        var outcomes: [ResumeOutcome] = []
        for op in ops {
            if let owner = OperationOwner(op.owner), owner.pid != getpid(), liveness(of: owner, op.owner) == .alive {
                outcomes.append(ResumeOutcome(operation: op.id!, guest: op.guest, outcome: "skipped",
                                              detail: "still being run by \(op.owner)"))
                continue
            }
            guard try store.claimOperation(op.id!, from: op.owner) else {
                outcomes.append(ResumeOutcome(operation: op.id!, guest: op.guest, outcome: "skipped",
                                              detail: "taken over by another controller just now (see `vfleet ops show \(op.id!)`)"))
                continue
            }
            outcomes.append(recordedResume(op, preferDestination: preferDestination))
        }
        return outcomes
    }

    /// `vfleet serve`'s part: finishes (or rolls back) every in-flight
    /// operation whose owner is gone, with no operator's command. With a
    /// replicated store an owner is gone once its lease in etcd ended (any
    /// machine's); with a standalone one, once its process on this machine
    /// ended (another machine's owner is left alone: only it can tell). An
    /// attempt that leaves the operation in flight is tried again later, by
    /// `backoff`.
    public func resumeOrphanedOperations(backoff: inout ResumeBackoff, now: Double = Monotonic.now) -> [ResumeOutcome] {
        guard let ops = try? store.inFlight() else { return [] }
        backoff.keepOnly(Set(ops.compactMap(\.id)))
        var outcomes: [ResumeOutcome] = []
        for op in ops.sorted(by: Self.resumeOrder) {
            guard let id = op.id, let owner = OperationOwner(op.owner), backoff.due(id, now: now),
                  Self.mayResume(liveness(of: owner, op.owner), ownedBySelf: op.owner == FleetStore.owner, triedBefore: backoff.triedBefore(id))
            else { continue }
            guard (try? store.claimOperation(id, from: op.owner)) == true else { continue }
            let outcome = recordedResume(op, preferDestination: false)
            let stillInFlight = (try? store.operation(id).state.inFlight) ?? true
            if stillInFlight { backoff.failed(id, now: now) } else { backoff.ended(id) }
            outcomes.append(outcome)
        }
        return outcomes
    }

    /// Resumes one operation and records its event (with the operation's
    /// id, and its outcome: done, rolled back, or failed/still pending).
    func recordedResume(_ op: StoredOperation, preferDestination: Bool) -> ResumeOutcome {
        let params = MoveParams(json: op.params)
        var outcome = ResumeOutcome(operation: op.id!, guest: op.guest, outcome: "failed", detail: "")
        // The body never throws: the outcome is the result.
        try? recorder.record("ops.resume", guest: op.guest, host: params?.source ?? op.host,
                             toHost: params?.destination) { (note: inout EventNote) throws(FleetError) in
            note.operation = op.id
            switch op.kind {
            case EvacuationParams.kind: outcome = resumeEvacuation(op)
            case Self.failoverKind: outcome = resumeFailover(op)
            case Self.reclaimKind: outcome = resumeReclaim(op)
            case Self.syncKind: outcome = resumeSync(op)
            default:
                outcome = moveEngine.resume(op, preferDestination: preferDestination)
                // A move finished here, not by its own command: its guest's
                // replica follows it here too (Controller+ReplicaRetarget).
                if outcome.outcome == "done", let guest = op.guest, let followed = followReplica(afterMoveOf: guest) {
                    outcome.detail += "; " + followed.line
                }
            }
            note.detail = "\(op.kind) from step \(op.step)\(preferDestination ? ", prefer destination" : ""): \(outcome.outcome)"
            switch outcome.outcome {
            case "done": note.detail! += ": " + outcome.detail
            case StoredOperation.State.rolledBack.rawValue: note.outcome = .rolledBack; note.error = outcome.detail
            default: note.outcome = .failed; note.error = outcome.detail
            }
        }
        return outcome
    }

    /// Whether an operation's owner lives: by its lease in a replicated
    /// store, by its process on this machine in a standalone one.
    func liveness(of owner: OperationOwner, _ text: String) -> OperationOwner.Liveness {
        store.ownerLiveness(text) ?? owner.liveness()
    }

    /// Whether `vfleet serve` takes an in-flight operation over: its owner's
    /// process is gone; or it is serve itself, whose own earlier attempt
    /// left it in flight (a host still down): taking it over made serve the
    /// owner, and a live owner is otherwise left alone.
    static func mayResume(_ liveness: OperationOwner.Liveness, ownedBySelf: Bool, triedBefore: Bool) -> Bool {
        ownedBySelf ? triedBefore : liveness == .dead
    }

    /// Refuses to act on a guest another operation is moving. A sync of
    /// the guest's replica is waited for instead (up to a minute): it takes
    /// seconds, and a scheduled one should not make an operator's stop,
    /// start or destroy fail.
    func assertNoOperation(_ guest: String) throws(FleetError) {
        try awaitSyncEnd(of: guest, upTo: Self.syncWaitForGuestCommand)
        if let op = try store.operationInFlight(guest: guest) {
            throw .conflict(Self.inFlightMessage(guest, op))
        }
    }

    /// What refuses an action on a guest with an operation in flight.
    static func inFlightMessage(_ guest: String, _ op: StoredOperation) -> String {
        let id = op.id ?? 0
        if op.state == .rollbackPending {
            return "guest \(guest) has operation \(id) (\(op.kind)) waiting to finish its rollback (\(op.error ?? "a host did not answer")); finish it with `vfleet ops resume \(id)`"
        }
        return "guest \(guest) has operation \(id) (\(op.kind), step \(op.step)) in flight, run by \(op.owner); wait, or `vfleet ops resume \(id)` if that controller died"
    }
}
