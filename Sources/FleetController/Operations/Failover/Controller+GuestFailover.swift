import FleetProtocol
import Foundation

/// One guest's failover, a journaled operation (kind "failover") with a
/// fencing token: every call it makes carries the token, so a host that
/// has seen a newer operation about the guest refuses it, and what it did
/// is in the journal step by step. Each step may run again (a crashed
/// `host fail`, `ops resume`, serve's resume): stopping a stopped guest,
/// promoting a promoted replica (the agent answers the same point),
/// placing a placed guest and starting a running one change nothing.
extension Controller {
    static let failoverKind = "failover"

    /// The journal's params of a failover.
    struct FailoverParams: Codable, Sendable, Equatable {
        var from: String
        var to: String
        var reason: String?
        /// The failed host answered (`--force`): its copy is stopped first.
        var stopSource: Bool

        var json: String { String(decoding: (try? JSONEncoder().encode(self)) ?? Data("{}".utf8), as: UTF8.self) }
        init(from: String, to: String, reason: String?, stopSource: Bool) {
            self.from = from
            self.to = to
            self.reason = reason
            self.stopSource = stopSource
        }
        init?(json: String) {
            guard let v = try? JSONDecoder().decode(Self.self, from: Data(json.utf8)) else { return nil }
            self = v
        }
    }

    /// The steps, in order; a resumed failover starts at its journal's step.
    static let failoverSteps = ["promote", "stop-source", "place", "start"]

    /// What one guest's failover did.
    public struct FailoverOutcome: Codable, Sendable, Equatable {
        public var guest: String
        public var standby: String
        public var operation: Int64?
        /// The point the guest came back from: its number, when it was taken
        /// (the recovery point), and its age when the guest was promoted.
        public var point: Int?
        public var takenAt: Double?
        public var recoveryPointAgeSeconds: Double?
        public var digest: String?
        public var started: Bool = false
        /// An earlier run had promoted it already (host fail run again).
        public var resumed: Bool = false
        public var seconds: Double = 0
        public var error: String?
    }

    /// Begins (or, given `resuming`, continues) the failover of `guest` to `params.to`.
    func failover(_ guestName: String, _ params: FailoverParams, resuming: StoredOperation? = nil) -> FailoverOutcome {
        let began = Date()
        var outcome = FailoverOutcome(guest: guestName, standby: params.to, resumed: resuming != nil)
        do throws(FleetError) {
            try recorder.record("guest.failover", guest: guestName, host: params.from, toHost: params.to) { (note: inout EventNote) throws(FleetError) in
                let op: StoredOperation
                if let resuming {
                    op = try store.operation(resuming.id!)
                } else {
                    // Its host is dead: a sync from it cannot finish, and is not waited for.
                    try supersedeSync(of: guestName)
                    op = try store.beginOperation(kind: Self.failoverKind, guest: guestName, host: params.to, params: params.json, firstStep: "promote")
                }
                let id = op.id!
                note.operation = id
                outcome.operation = id
                do throws(FleetError) {
                    try runFailover(op, guestName, params, &outcome)
                    try store.finishOperation(id, state: .done)
                    note.detail = outcome.point.map { "point \($0) of \(String(format: "%.1f", outcome.recoveryPointAgeSeconds ?? 0)) s ago" + (outcome.started ? ", started" : "") }
                } catch {
                    outcome.error = error.message
                    try? store.finishOperation(id, state: .failed, error: error.message)
                    throw error
                }
            }
        } catch {
            outcome.error = error.message
        }
        outcome.seconds = Date().timeIntervalSince(began)
        return outcome
    }

    private func runFailover(_ op: StoredOperation, _ guestName: String, _ params: FailoverParams, _ outcome: inout FailoverOutcome) throws(FleetError) {
        let id = op.id!
        let fenced = FencedTransport.wrapping(agents, fence: Fence(guest: guestName, token: op.fence, operation: id))
        let guest = try store.guest(guestName)
        let standby = try store.host(params.to)
        let from = Self.failoverSteps.firstIndex(of: op.step) ?? 0
        func due(_ step: String) -> Bool { (Self.failoverSteps.firstIndex(of: step) ?? 0) >= from }

        // Every step but the stop runs again on a resume (each is
        // idempotent; the promote's answer is the point to report), but the
        // journal goes back to no step it had passed.
        if due("promote") { try store.beginStep(id, "promote") }
        // The replica is the guest's own layer: its template must be on the
        // standby (by digest), sent by a host that is not failed, or from here.
        let template = try store.template(guest.template)
        let senders = TemplateDelivery.senders(of: template, to: standby.name, preferred: nil, holders: try TemplateDelivery.Holders.of(template.name, in: store))
            .filter { $0.state != .failed }
        _ = try TemplateDelivery.ensure(template, on: standby, via: agents, mode: .auto, senders: senders)
        let promoted = try fenced.call(RPC.ReplicaPromote(name: guestName, spec: guest.spec), on: standby, timeout: settings.callTimeout + 600)
        outcome.point = promoted.point.point
        outcome.takenAt = promoted.point.takenAt
        outcome.digest = promoted.point.digest
        outcome.recoveryPointAgeSeconds = max(0, Date().timeIntervalSince1970 - promoted.point.takenAt)
        if promoted.already { outcome.resumed = true }
        if params.stopSource && due("stop-source") {
            try store.beginStep(id, "stop-source")
            // The failed host answered (--force): its copy stops, under this
            // operation's token, before the replica may start anywhere. Only
            // after the promote: a point that cannot become the guest (its
            // digest is wrong) leaves the guest running where it was.
            _ = try fenced.call(RPC.GuestStop(name: guestName), on: try store.host(params.from))
        }
        try store.beginStep(id, "place", detail: "point \(promoted.point.point), taken \(promoted.point.takenAt)")
        // The commit point: from here the fleet's copy is the standby's.
        try store.switchPlacement(operation: id, of: guestName, to: params.to, origin: nil)
        // The replica became the guest: the standby holds no replica any
        // more. A scheduled replica (--every) keeps its record, on the host
        // the guest now runs on and without a point: a replica whose guest
        // runs on its standby is re-targeted by the next scheduled sync
        // (Controller+ReplicaRetarget), so the guest is protected again
        // without an operator. One synced only by hand is dropped.
        if let spent = try store.replica(of: guestName), let every = spent.everySeconds {
            var waiting = StoredReplica(guest: guestName, host: params.to, everySeconds: every, createdAt: Date().timeIntervalSince1970)
            waiting.lastError = "guest \(guestName) failed over onto this standby from point \(promoted.point.point): "
                + "a new standby is chosen and synced at the next scheduled sync (`vfleet serve`, or now: `vfleet guest replicate \(guestName)`)"
            try store.saveReplica(waiting)
        } else {
            try store.deleteReplica(of: guestName)
        }
        guard guest.desiredState == .running else { return }
        try store.beginStep(id, "start")
        if try fenced.call(RPC.GuestStatus(name: guestName), on: standby).state != .running {
            _ = try fenced.call(RPC.GuestStart(name: guestName), on: standby)
        }
        outcome.started = true
    }

    /// `ops resume` / serve's resume of a failover left in flight.
    func resumeFailover(_ op: StoredOperation) -> ResumeOutcome {
        guard let guest = op.guest, let params = FailoverParams(json: op.params) else {
            return ResumeOutcome(operation: op.id!, guest: op.guest, outcome: "failed", detail: "failover \(op.id!) has no readable params: \(op.params)")
        }
        let outcome = failover(guest, params, resuming: op)
        if let error = outcome.error { return ResumeOutcome(operation: op.id!, guest: guest, outcome: "failed", detail: error) }
        return ResumeOutcome(operation: op.id!, guest: guest, outcome: "done",
                             detail: "guest \(guest) on \(params.to) from point \(outcome.point ?? 0)\(outcome.started ? ", started" : "")")
    }
}
