import FleetProtocol
import FleetSystem
import Foundation
import Glibc

/// A sync and a move of one guest never overlap (docs/ARCHITECTURE.md,
/// replicas): a sync holds the guest's lock that moves, evacuations and
/// failovers take, an operation of kind "sync" in the journal (the store
/// lets one operation per guest be in flight). A sync refuses to begin
/// while another operation of its guest is in flight; a move waits for a
/// sync to end (a sync takes seconds, and a scheduled one should not make
/// an operator's move or an evacuation fail), up to `syncWaitSeconds`; a
/// failover does not wait: it ends the sync's operation and goes on (the
/// standby's agent keeps the sync off the point the promote uses).
extension Controller {
    static let syncKind = "sync"

    /// How long a move waits for a sync of its guest to end.
    static let syncWaitSeconds = 300.0

    /// How long a stop, start, restart or destroy of the guest waits for
    /// a sync of it to end: an operator at a prompt, so shorter than a move.
    static let syncWaitForGuestCommand = 60.0

    /// Begins the sync operation of `guest` to `standby`: refused while
    /// another operation of the guest is in flight.
    func beginSyncOperation(_ guest: String, to standby: String) throws(FleetError) -> StoredOperation {
        do {
            return try store.beginOperation(kind: Self.syncKind, guest: guest, host: standby, params: "{}", firstStep: "send")
        } catch where error.code == .conflict {
            let running = (try? store.operationInFlight(guest: guest)).flatMap { $0 }
            let what = running.map { "operation \($0.id ?? 0) (\($0.kind), step \($0.step))" } ?? "an operation"
            throw .conflict("cannot sync guest \(guest)'s replica now: \(what) of the guest is in flight, and a sync never runs during a move, evacuation or failover of its guest; the next scheduled sync (or `vfleet guest replicate \(guest) --sync-now` once it ended) makes the point")
        }
    }

    /// Waits until no sync of `guest` is in flight, up to `seconds`; a
    /// sync whose controller died is ended here (it holds nothing: the
    /// standby kept its previous complete point). Other operations are
    /// left to the caller's own checks.
    func awaitSyncEnd(of guest: String, upTo seconds: Double = syncWaitSeconds) throws(FleetError) {
        let deadline = Monotonic.now + seconds
        while let op = try store.operationInFlight(guest: guest), op.kind == Self.syncKind, let id = op.id {
            if let owner = OperationOwner(op.owner), liveness(of: owner, op.owner) == .dead, try store.claimOperation(id, from: op.owner) {
                try? store.finishOperation(id, state: .failed, error: Self.interruptedSync)
                continue
            }
            guard Monotonic.now < deadline else {
                throw .conflict("guest \(guest)'s replica is being synced (operation \(id), run by \(op.owner)) and a move never runs during a sync of its guest; waited \(Int(seconds)) s for it to end: try again once it ended (`vfleet ops show \(id)`)")
            }
            usleep(100_000)
        }
    }

    /// Ends an in-flight sync of `guest` so that a failover may begin: the
    /// guest's host is dead, and waiting for its sync would only delay the
    /// guest's return. The sync's controller finds its operation taken at
    /// its next journal write.
    func supersedeSync(of guest: String) throws(FleetError) {
        guard let op = try store.operationInFlight(guest: guest), op.kind == Self.syncKind, let id = op.id else { return }
        if try store.claimOperation(id, from: op.owner) {
            try store.finishOperation(id, state: .failed, error: "superseded by a failover of guest \(guest)")
        }
    }

    static let interruptedSync = "the sync was interrupted (its controller ended); the standby kept its previous complete point, and the next sync makes a new one"

    /// `ops resume` of a sync left in flight: nothing to finish.
    func resumeSync(_ op: StoredOperation) -> ResumeOutcome {
        try? store.finishOperation(op.id!, state: .failed, error: Self.interruptedSync)
        return ResumeOutcome(operation: op.id!, guest: op.guest, outcome: "failed", detail: Self.interruptedSync)
    }
}
