import FleetProtocol
import Foundation

/// `vfleet host fail HOST`: declares a host dead and brings its replicated
/// guests back on their standby hosts (docs/ARCHITECTURE.md, failover).
extension Controller {
    public struct HostFailReport: Codable, Sendable, Equatable {
        public var host: String
        public var reason: String?
        /// The host's agent answered and `--force` was given: its failed-over
        /// guests were stopped there (fenced) before their replicas started.
        public var forced: Bool
        public var hostState: String
        public var failovers: [FailoverOutcome]
        /// Guests without a usable replica: still placed on the failed host,
        /// running nowhere (each with why).
        public var stranded: [Stranded]
        /// Guests on other hosts whose standby was this host and whose
        /// replica could not be moved to another standby (each has why in
        /// `replicas` and in its record's lastError; serve's schedule tries
        /// again).
        public var lostReplicas: [String]
        /// Guests on other hosts whose standby was this host: each replica
        /// moved to a new standby with a full sync; the copy on this host
        /// is left for `vfleet host reclaim`.
        public var replicas: [ReplicaRetarget] = []
        /// Of `seconds`, the hello that had to fail before the host counted as dead.
        public var aliveCheckSeconds: Double
        public var seconds: Double

        public struct Stranded: Codable, Sendable, Equatable {
            public var guest: String
            public var why: String
        }
    }

    /// The time a hello gets to prove that a host lives.
    static let aliveCheckSeconds = 5.0

    public func failHost(_ name: String, reason: String?, force: Bool) throws(FleetError) -> HostFailReport {
        try recorder.record("host.fail", host: name) { (note: inout EventNote) throws(FleetError) in
            let report = try failHostNow(name, reason: reason, force: force)
            let failed = report.failovers.filter { $0.error != nil }.count
            note.detail = "\(report.failovers.count - failed) guest(s) failed over, \(report.stranded.count) without a usable replica"
                + (report.forced ? ", forced (the host answered)" : "") + (reason.map { "; reason: \($0)" } ?? "")
            if failed > 0 {
                note.outcome = .failed
                note.error = "\(failed) failover(s) failed (see the guests' events); run `vfleet host fail \(name)` again to retry them"
            }
            return report
        }
    }

    func failHostNow(_ name: String, reason: String?, force: Bool) throws(FleetError) -> HostFailReport {
        let began = Date()
        let host = try store.host(name)
        // A host that answers is not dead: failing it over would run its
        // guests twice unless they are stopped there first (--force).
        let answers: Bool
        let checking = Date()
        // Asked directly, not through the connection keeper: a session the
        // keeper kept to a host that died times out first and is then tried
        // once afresh, two waits where one is enough to call it dead.
        let prober: any AgentTransport = agents is KeeperTransport ? connections : agents
        switch prober.greet([host], maxParallel: 1, timeout: min(settings.connectTimeout, Self.aliveCheckSeconds)).first {
        case .success?: answers = true
        default: answers = false
        }
        let aliveCheck = Date().timeIntervalSince(checking)
        if answers && !force {
            throw .conflict("host \(name)'s agent answers: it is not dead, and failing it over now would run its guests twice. "
                + "Evacuate it instead (`vfleet host evacuate \(name)`), or give --force to stop its replicated guests there and start their replicas elsewhere")
        }
        // From here on the host takes no placement and reconcile starts
        // nothing on it (it stays failed until `host restore`).
        try store.updateHostState(name, .failed)

        // A failover a crashed `host fail` left in flight is continued
        // (claimed: its token is renewed), unless its owner still runs it.
        var failovers: [FailoverOutcome] = []
        var handled = Set<String>()
        for op in try store.inFlight() where op.kind == Self.failoverKind {
            guard let params = FailoverParams(json: op.params), params.from == name, let guest = op.guest else { continue }
            handled.insert(guest)
            if let owner = OperationOwner(op.owner), op.owner != FleetStore.owner, liveness(of: owner, op.owner) == .alive {
                failovers.append(FailoverOutcome(guest: guest, standby: params.to, operation: op.id,
                                                 error: "operation \(op.id!) is failing it over now, run by \(op.owner)"))
                continue
            }
            guard try store.claimOperation(op.id!, from: op.owner) else { continue }
            failovers.append(failover(guest, params, resuming: op))
        }

        let placed = try store.placements().filter { $0.host == name && !handled.contains($0.guest) }.map(\.guest)
        let replicas = Dictionary(uniqueKeysWithValues: try store.replicas().map { ($0.guest, $0) })
        let states = Dictionary(uniqueKeysWithValues: try store.hosts().map { ($0.name, $0.state) })
        var stranded: [HostFailReport.Stranded] = []
        var work: [(String, FailoverParams)] = []
        for (guest, decision) in FailoverPlan.decide(host: name, placed: placed, replicas: replicas, hostStates: states) {
            switch decision {
            case .failover(let standby):
                work.append((guest, FailoverParams(from: name, to: standby, reason: reason, stopSource: answers)))
            case .noReplica:
                stranded.append(.init(guest: guest, why: "no replica"))
            case .unusable(let why):
                stranded.append(.init(guest: guest, why: why))
            }
        }
        failovers += parallelMap(work, maxParallel: settings.maxParallelHosts) { [self] item in failover(item.0, item.1) }
        // Replicas kept on the failed host for guests elsewhere: each gets
        // a new standby and a full sync from its running guest, after the
        // failovers (they come first). The copies there are left for
        // `host reclaim`; one that could not move keeps its record with
        // the reason, and serve's schedule tries again (syncDueReplicas).
        let moved = retargetReplicas(heldOn: [name], dropOld: false).sorted { $0.guest < $1.guest }
        var report = HostFailReport(host: name, reason: reason, forced: answers, hostState: StoredHost.State.failed.rawValue,
                                    failovers: failovers.sorted { $0.guest < $1.guest }, stranded: stranded,
                                    lostReplicas: moved.filter { $0.error != nil }.map(\.guest), aliveCheckSeconds: aliveCheck,
                                    seconds: Date().timeIntervalSince(began))
        report.replicas = moved
        return report
    }
}
