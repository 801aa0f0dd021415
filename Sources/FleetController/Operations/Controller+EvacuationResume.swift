import FleetProtocol

extension Controller {
    /// Carries on an evacuation whose controller died (`ops resume`, or
    /// `vfleet serve` once the owner is gone): the moves it left in flight
    /// are resumed first (`resumeOrder`), then the guests still on the
    /// hosts are planned again and moved as the evacuation would have.
    /// While a move of one of their guests is still in flight (a host still
    /// down), the evacuation stays in flight too and is tried again later.
    func resumeEvacuation(_ op: StoredOperation) -> ResumeOutcome {
        let id = op.id!
        var outcome = ResumeOutcome(operation: id, guest: nil, outcome: "failed", detail: "")
        guard let params = EvacuationParams(json: op.params) else {
            outcome.detail = "unreadable evacuation parameters: \(op.params)"
            try? store.finishOperation(id, state: .failed, error: outcome.detail)
            return outcome
        }
        let label = Self.hostsLabel(params.hosts)
        do throws(FleetError) {
            try store.beginStep(id, "moves")
            let report: EvacuationReport
            do {
                report = try planEvacuation(params.hosts, draining: Set(params.hosts), dryRun: false, action: params.action,
                                            allowPartial: params.allowPartial)
            } catch {
                if let waiting = try movesInFlight(on: params.hosts).first {
                    outcome.detail = "evacuation of \(label) waits for operation \(waiting.id ?? 0) (move of guest \(waiting.guest ?? "?")) still in flight: \(error.message)"
                    return outcome
                }
                throw error
            }
            let done = try carryOutEvacuation(report, operation: id, maxParallel: params.maxParallel) { _ in }
            let failed = done.moves.filter { $0.error != nil }
            let stopped = done.unplaceable.filter(\.stopped).count
            outcome.outcome = failed.isEmpty ? "done" : "failed"
            outcome.detail = "evacuation of \(label) carried on: \(done.moves.count - failed.count) moved" + (stopped > 0 ? ", \(stopped) stopped in place" : "")
                + (failed.isEmpty ? "" : "; failed: " + failed.map { "\($0.guest) (\($0.error ?? ""))" }.joined(separator: "; "))
                + "; " + done.hosts.map { "\($0.name) \($0.state)" }.joined(separator: ", ")
            return outcome
        } catch {
            outcome.detail = "evacuation of \(label) could not be carried on: \(error.message)"
            if !FleetStore.isLostOwnership(error) {
                try? store.finishOperation(id, state: .failed, error: error.message)
            }
            return outcome
        }
    }

    /// In-flight moves of guests placed on `hosts` (or leaving them).
    func movesInFlight(on hosts: [String]) throws(FleetError) -> [StoredOperation] {
        let placed = Set(try store.placements().filter { hosts.contains($0.host) }.map(\.guest))
        return try store.inFlight().filter { op in
            op.kind == "move" && (op.guest.map(placed.contains) == true || (op.host.map(hosts.contains) ?? false))
        }
    }

    /// The order orphaned operations are resumed in: moves first (an
    /// evacuation can go on only once its guests' moves ended), then by id.
    static func resumeOrder(_ a: StoredOperation, _ b: StoredOperation) -> Bool {
        let (ka, kb) = (a.kind == "move" ? 0 : 1, b.kind == "move" ? 0 : 1)
        return ka != kb ? ka < kb : (a.id ?? 0) < (b.id ?? 0)
    }
}
