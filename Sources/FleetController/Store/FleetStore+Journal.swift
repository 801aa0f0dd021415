import FleetProtocol
import Foundation
import GRDB

/// The operations journal: every operation and each of its steps is a row
/// written before the step is taken.
extension FleetStore {
    /// Who runs an operation: this process. Read once: the host name is a
    /// resolver lookup, and every journal row names its owner.
    static let owner = "\(getpid())@\(ProcessInfo.processInfo.hostName)"

    /// Starts an operation; refused when the guest has one in flight.
    public func beginOperation(kind: String, guest: String?, host: String?, params: String, firstStep: String) throws(FleetError) -> StoredOperation {
        let now = Date().timeIntervalSince1970
        try replica?.ownerLease.ensure(owner: Self.owner)
        do {
            return try writeTransaction { db in
                if let guest, let running = try StoredOperation.filter(Column("guest") == guest && StoredOperation.State.inFlightStates.contains(Column("state"))).fetchOne(db) {
                    throw FleetError.conflict("guest \(guest) has operation \(running.id ?? 0) (\(running.kind), step \(running.step)) in flight, started by \(running.owner); wait for it, or finish it with `vfleet ops resume \(running.id ?? 0)`")
                }
                var op = StoredOperation(kind: kind, guest: guest, host: host, params: params, step: firstStep, owner: Self.owner,
                                         createdAt: now, updatedAt: now)
                op.fence = try StoredOperation.nextFence(db)
                try op.insert(db)
                var row = StoredOperationStep(operation: op.id!, step: firstStep, state: "begun", detail: nil, at: now)
                try row.insert(db)
                return op
            }
        } catch let e as FleetError {
            throw e
        } catch let e as DatabaseError where e.resultCode == .SQLITE_CONSTRAINT {
            throw .conflict("guest \(guest ?? "?") has an operation in flight (another controller started one just now; see `vfleet ops list`)")
        } catch {
            throw .failed("controller store \(path): \(error)")
        }
    }

    /// Takes operation `id` over from `owner` (a controller that died), in
    /// one statement: true if this process owns it now; false if another
    /// took it first or it ended meanwhile. Two controllers (an operator's
    /// `ops resume` and `vfleet serve`) never both finish one operation.
    /// The claim takes a new fencing token: from then on the agents refuse
    /// the old owner's requests about the guest once they have seen one of
    /// the new owner's, and the old owner's journal writes are refused here.
    public func claimOperation(_ id: Int64, from owner: String) throws(FleetError) -> Bool {
        let now = Date().timeIntervalSince1970
        try replica?.ownerLease.ensure(owner: Self.owner)
        return try write { db in
            let fence = try StoredOperation.nextFence(db)
            try db.execute(sql: "UPDATE operations SET owner = ?, fence = ?, updatedAt = ? WHERE id = ? AND owner = ? AND state IN (?, ?)",
                           arguments: [Self.owner, fence, now, id, owner, StoredOperation.State.running.rawValue, StoredOperation.State.rollbackPending.rawValue])
            return db.changesCount == 1
        }
    }

    /// Said by every refusal of a process that lost its operation (the
    /// owner check below, OwnerLease.assertHeld), so callers can tell it.
    static let noLongerOwns = "no longer owns"

    /// Whether `error` is such a refusal: the operation is another's now.
    public static func isLostOwnership(_ error: FleetError) -> Bool {
        error.code == .conflict && error.message.contains(noLongerOwns)
    }

    /// Throws unless this process still owns operation `id`: a controller
    /// whose operation was taken over (it lost its lease, or was thought
    /// dead) must stop at its next journal write, not write over its
    /// successor's steps.
    static func assertOwned(_ db: Database, _ id: Int64) throws {
        guard let row = try Row.fetchOne(db, sql: "SELECT owner, fence FROM operations WHERE id = ?", arguments: [id]) else {
            throw FleetError.notFound("unknown operation \(id) (see `vfleet ops list`)")
        }
        let owner: String = row["owner"]
        guard owner == Self.owner else {
            let fence: Int64 = row["fence"]
            throw FleetError.conflict("operation \(id) was taken over by controller process \(owner) (fencing token \(fence)): this one (\(Self.owner)) \(noLongerOwns) it, most likely because its lease in etcd expired; it stops and leaves the operation to its new owner (see `vfleet ops show \(id)`)")
        }
    }

    /// In a replicated store, whether `owner`'s lease in etcd lives (its
    /// key exists); nil for a standalone store, where only this machine's
    /// processes can be told apart (OperationOwner.liveness).
    public func ownerLiveness(_ owner: String) -> OperationOwner.Liveness? {
        replica?.ownerLease.liveness(of: owner)
    }

    /// Records that `step` is about to be taken.
    public func beginStep(_ id: Int64, _ step: String, detail: String? = nil) throws(FleetError) {
        let now = Date().timeIntervalSince1970
        try replica?.ownerLease.assertHeld(owner: Self.owner)
        try write { db in
            try Self.assertOwned(db, id)
            try db.execute(sql: "UPDATE operations SET step = ?, updatedAt = ? WHERE id = ?", arguments: [step, now, id])
            var row = StoredOperationStep(operation: id, step: step, state: "begun", detail: detail, at: now)
            try row.insert(db)
        }
    }

    public func noteStep(_ id: Int64, _ step: String, state: String, detail: String?) throws(FleetError) {
        let now = Date().timeIntervalSince1970
        try write { db in
            try Self.assertOwned(db, id)
            var row = StoredOperationStep(operation: id, step: step, state: state, detail: detail, at: now)
            try row.insert(db)
        }
    }

    /// Ends an operation (or, with rollback_pending, leaves it for `ops
    /// resume`). A nil reason keeps the one stored before.
    public func finishOperation(_ id: Int64, state: StoredOperation.State, error: String? = nil, reason: String? = nil) throws(FleetError) {
        let now = Date().timeIntervalSince1970
        try replica?.ownerLease.assertHeld(owner: Self.owner)
        try write { db in
            try Self.assertOwned(db, id)
            try db.execute(sql: "UPDATE operations SET state = ?, error = ?, reason = COALESCE(?, reason), updatedAt = ? WHERE id = ?",
                           arguments: [state.rawValue, error, reason, now, id])
            var row = StoredOperationStep(operation: id, step: state.inFlight ? "rollback" : "end", state: state.rawValue,
                                          detail: [reason, error].compactMap { $0 }.joined(separator: "; "), at: now)
            try row.insert(db)
        }
    }

    public func operations(limit: Int = 50) throws(FleetError) -> [StoredOperation] {
        try read { db in try StoredOperation.order(Column("id").desc).limit(limit).fetchAll(db) }
    }

    public func operation(_ id: Int64) throws(FleetError) -> StoredOperation {
        let op = try read { db in try StoredOperation.fetchOne(db, key: id) }
        guard let op else { throw .notFound("unknown operation \(id) (see `vfleet ops list`)") }
        return op
    }

    public func steps(of id: Int64) throws(FleetError) -> [StoredOperationStep] {
        try read { db in try StoredOperationStep.filter(Column("operation") == id).order(Column("id")).fetchAll(db) }
    }

    public func inFlight() throws(FleetError) -> [StoredOperation] {
        try read { db in try StoredOperation.filter(StoredOperation.State.inFlightStates.contains(Column("state"))).order(Column("id")).fetchAll(db) }
    }

    public func operationInFlight(guest: String) throws(FleetError) -> StoredOperation? {
        try read { db in try StoredOperation.filter(Column("guest") == guest && StoredOperation.State.inFlightStates.contains(Column("state"))).fetchOne(db) }
    }

    public func setOrigin(_ guest: String, _ origin: String?) throws(FleetError) {
        try write { db in try db.execute(sql: "UPDATE guests SET origin = ? WHERE name = ?", arguments: [origin, guest]) }
    }

    public func updateHostState(_ name: String, _ state: StoredHost.State) throws(FleetError) {
        try write { db in try db.execute(sql: "UPDATE hosts SET state = ? WHERE name = ?", arguments: [state.rawValue, name]) }
    }

    /// Sets every host of `names` to `state` in one transaction (a placement
    /// sees all of them changed or none), and answers what each was before.
    public func swapHostStates(_ names: [String], to state: StoredHost.State) throws(FleetError) -> [String: StoredHost.State] {
        try write { db in
            var before: [String: StoredHost.State] = [:]
            for name in names {
                guard let host = try StoredHost.fetchOne(db, key: name) else {
                    throw FleetError.notFound("unknown host \(name) (removed meanwhile?)")
                }
                before[name] = host.state
                try db.execute(sql: "UPDATE hosts SET state = ? WHERE name = ?", arguments: [state.rawValue, name])
            }
            return before
        }
    }

    /// Puts back the states `swapHostStates` answered, in one transaction.
    public func setHostStates(_ states: [String: StoredHost.State]) throws(FleetError) {
        try write { db in
            for (name, state) in states {
                try db.execute(sql: "UPDATE hosts SET state = ? WHERE name = ?", arguments: [state.rawValue, name])
            }
        }
    }
}

extension FleetStore {
    public func updateOperationParams(_ id: Int64, _ params: String) throws(FleetError) {
        try replica?.ownerLease.assertHeld(owner: Self.owner)
        try write { db in
            try Self.assertOwned(db, id)
            try db.execute(sql: "UPDATE operations SET params = ? WHERE id = ?", arguments: [params, id])
        }
    }

    /// A move's commit point: the guest is placed on `host` (and its origin
    /// set) in the transaction that checks the move is still this process's.
    public func switchPlacement(operation id: Int64, of guest: String, to host: String, origin: String?) throws(FleetError) {
        try replica?.ownerLease.assertHeld(owner: Self.owner)
        try write { db in
            try Self.assertOwned(db, id)
            try StoredPlacement(guest: guest, host: host, placedAt: Date().timeIntervalSince1970).upsert(db)
            if let origin { try db.execute(sql: "UPDATE guests SET origin = ? WHERE name = ?", arguments: [origin, guest]) }
        }
    }
}
