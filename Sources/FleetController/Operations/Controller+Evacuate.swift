import FleetProtocol
import FleetScheduler
import Foundation

extension Controller {
    /// `vfleet host evacuate H`: `evacuate(_:dryRun:…)` with one host.
    public func evacuate(_ hostName: String, dryRun: Bool, maxParallel: Int = 1, action: EvacuationAction = .migrate,
                         allowPartial: Bool = false, planned: (EvacuationReport) -> Void = { _ in },
                         progress: @escaping @Sendable (MoveProgress) -> Void = { _ in }) throws(FleetError) -> EvacuationReport {
        try evacuate([hostName], dryRun: dryRun, maxParallel: maxParallel, action: action, allowPartial: allowPartial,
                     planned: planned, progress: progress)
    }

    /// `vfleet host evacuate H1 H2 …`: no new placements on any of them;
    /// every guest of every one gets a destination among the other hosts
    /// from the scheduler (never another host being drained, so draining a
    /// rack moves each guest once); the plan is computed first and carried
    /// out only if every guest fits (or --allow-partial), up to
    /// `maxParallel` moves at once across all the hosts. `planned` sees the
    /// plan before the first move (not on a dry run: the plan is the report
    /// then). One `host.evacuate` event per host.
    public func evacuate(_ hostNames: [String], dryRun: Bool, maxParallel: Int = 1, action: EvacuationAction = .migrate,
                         allowPartial: Bool = false, planned: (EvacuationReport) -> Void = { _ in },
                         progress: @escaping @Sendable (MoveProgress) -> Void = { _ in }) throws(FleetError) -> EvacuationReport {
        var named: [String] = []
        for name in hostNames where !named.contains(name) { named.append(name) }
        return try recorder.record("host.evacuate", hosts: named, when: !dryRun, { () throws(FleetError) in
            try evacuateHosts(hostNames, dryRun: dryRun, maxParallel: maxParallel, action: action, allowPartial: allowPartial,
                              planned: planned, progress: progress)
        }, note: Self.evacuationNote)
    }

    /// One host's event of an evacuation: its own moves and stops.
    static func evacuationNote(_ report: EvacuationReport, host: String) -> EventNote {
        var note = EventNote(host: host)
        let moves = report.moves.filter { $0.source == host }
        let failed = moves.filter { $0.error != nil }.count
        let unplaceable = report.unplaceable.filter { $0.source == host }
        let stopped = unplaceable.filter(\.stopped).count
        let others = report.hosts.map(\.name).filter { $0 != host }
        note.detail = "\(moves.count - failed) moved, \(stopped) stopped in place; host \(report.state(of: host) ?? "?")"
            + (others.isEmpty ? "" : " (drained together with \(others.joined(separator: ", ")))")
        if failed > 0 || unplaceable.contains(where: { !$0.stopped }) {
            note.outcome = .failed
            note.error = "\(failed) of \(moves.count) moves failed, \(unplaceable.count - stopped) guest(s) left running (see the guests' events)"
        }
        return note
    }

    func evacuateHosts(_ hostNames: [String], dryRun: Bool, maxParallel: Int, action: EvacuationAction, allowPartial: Bool,
                       planned: (EvacuationReport) -> Void, progress: @escaping @Sendable (MoveProgress) -> Void) throws(FleetError) -> EvacuationReport {
        let draining = try checkEvacuation(hostNames, action: action)
        // Marked before the guests are read and planned, all in one
        // transaction: a placement committed before it is in the plan, one
        // after it cannot pick any of these hosts.
        let before = try dryRun ? [:] : store.swapHostStates(hostNames, to: .evacuating)
        var report: EvacuationReport
        do throws(FleetError) {
            report = try planEvacuation(hostNames, draining: draining, dryRun: dryRun, action: action, allowPartial: allowPartial)
        } catch {
            guard !dryRun else { throw error }
            do throws(FleetError) {
                try store.setHostStates(before)
            } catch let restoring {
                throw FleetError(error.code, error.message + "\n(putting back the hosts' states failed too: \(restoring.message); `vfleet host restore` makes a host active)")
            }
            throw error
        }
        if dryRun { return report }
        // Journaled, so that if this controller dies another carries the
        // evacuation on (resumeEvacuation), after the moves it left.
        let params = EvacuationParams(hosts: hostNames, maxParallel: maxParallel, action: action, allowPartial: allowPartial)
        let op = try store.beginOperation(kind: EvacuationParams.kind, guest: nil, host: hostNames.first, params: try params.json(), firstStep: "moves")
        planned(report)
        return try carryOutEvacuation(report, operation: op.id!, maxParallel: maxParallel, progress: progress)
    }

    /// Stops what fits nowhere, runs the planned moves, marks the drained
    /// hosts evacuated and ends the evacuation's operation (failed if a
    /// move failed: the report says which).
    func carryOutEvacuation(_ planned: EvacuationReport, operation id: Int64, maxParallel: Int,
                            progress: @escaping @Sendable (MoveProgress) -> Void) throws(FleetError) -> EvacuationReport {
        var report = planned
        for i in report.unplaceable.indices {
            do throws(FleetError) {
                _ = try stopGuest(report.unplaceable[i].guest, within: "host.evacuate")
                report.unplaceable[i].stopped = true
            } catch {
                report.unplaceable[i].stopped = false
                report.unplaceable[i].reason += "; stopping it failed: \(error.message)"
            }
        }
        let done = parallelMap(report.moves, maxParallel: max(1, maxParallel)) { [self] m -> EvacuationReport.Move in
            var out = m
            do throws(FleetError) {
                let r = try moveGuest(m.guest, to: m.destination, origin: m.source, within: "host.evacuate", progress: progress)
                out.downtimeSeconds = r.downtimeSeconds
            } catch {
                out.error = error.message
            }
            return out
        }
        report.moves = done
        let placements = try store.placements()
        let stoppedInPlace = Set(report.unplaceable.filter(\.stopped).map(\.guest))
        for i in report.hosts.indices {
            let host = report.hosts[i].name
            let moved = done.filter { $0.source == host }.allSatisfy { $0.error == nil }
            let remaining = placements.filter { $0.host == host }.map(\.guest)
            if moved && remaining.allSatisfy(stoppedInPlace.contains) {
                try store.updateHostState(host, .evacuated)
                report.hosts[i].state = StoredHost.State.evacuated.rawValue
            }
        }
        // The replicas the drained hosts keep for guests elsewhere go to
        // other standbys (their hosts are no longer schedulable, so never
        // chosen again); each old copy is dropped once its new one is whole.
        report.replicas = retargetReplicas(heldOn: Set(report.hosts.map(\.name)), dropOld: true)
        let failed = done.filter { $0.error != nil }
        try store.finishOperation(id, state: failed.isEmpty ? .done : .failed,
                                  error: failed.isEmpty ? nil : "\(failed.count) of \(done.count) moves failed: " + failed.map(\.guest).joined(separator: ", "))
        return report
    }

    /// The hosts to drain, refused before anything changes: none named,
    /// one named twice, an unknown one, or (when the guests must go
    /// somewhere) every host of the fleet.
    func checkEvacuation(_ hostNames: [String], action: EvacuationAction) throws(FleetError) -> Set<String> {
        guard !hostNames.isEmpty else { throw .invalid("cannot evacuate: no host named (name one or more: vfleet host evacuate H1 H2 …)") }
        var draining = Set<String>()
        for name in hostNames where !draining.insert(name).inserted {
            throw .invalid("cannot evacuate host \(name): it is named twice (name each host once)")
        }
        let known = try store.hosts().map(\.name)
        for name in hostNames where !known.contains(name) {
            throw .notFound("cannot evacuate host \(name): unknown host (known: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")
        }
        if action == .migrate && Set(known).isSubset(of: draining) {
            throw .conflict("cannot evacuate \(Self.hostsLabel(hostNames)): that is every host of the fleet, so their guests would have nowhere to go; nothing was changed (leave at least one host out, or use --action stop to stop the guests in place)")
        }
        return draining
    }

    /// The plan over the store as it is now (with the hosts already marked,
    /// unless a dry run): each guest's destination, or why it fits nowhere.
    func planEvacuation(_ hostNames: [String], draining: Set<String>, dryRun: Bool, action: EvacuationAction,
                        allowPartial: Bool) throws(FleetError) -> EvacuationReport {
        let hosts = try store.hosts()
        let states = Dictionary(hosts.map { ($0.name, $0.state.rawValue) }, uniquingKeysWith: { first, _ in first })
        let leaving = try store.placements().filter { draining.contains($0.host) }.sorted { $0.guest < $1.guest }
        // A sync in flight is waited for by the guest's move (Controller+SyncLock).
        for p in leaving where (try store.operationInFlight(guest: p.guest))?.kind != Self.syncKind { try assertNoOperation(p.guest) }
        var report = EvacuationReport(hosts: hostNames.map { .init(name: $0, state: states[$0] ?? "?") }, dryRun: dryRun,
                                      moves: [], unplaceable: [])
        if action == .stop {
            report.unplaceable = leaving.map { .init(guest: $0.guest, source: $0.host, reason: "--action stop", stopped: !dryRun) }
            return report
        }
        let plan = Scheduler.planEvacuation(of: draining, hosts: capacities(hosts), placed: try placedGuests(),
                                            policy: settings.placementPolicy)
        report.moves = plan.moves.map {
            .init(guest: $0.guest.name, source: plan.source(of: $0.guest.name), destination: $0.host, error: nil, downtimeSeconds: nil)
        }
        report.unplaceable = plan.unplaceable.map {
            .init(guest: $0.guest, source: plan.source(of: $0.guest) ?? "?", reason: $0.description, stopped: false)
        }
        if !report.unplaceable.isEmpty && !allowPartial {
            throw FleetError(.conflict, "cannot evacuate \(Self.hostsLabel(hostNames)): \(report.unplaceable.count) guest(s) fit nowhere; nothing was changed (use --allow-partial to stop them in place):\n"
                             + report.unplaceable.map { "  " + $0.reason.replacingOccurrences(of: "\n", with: "\n  ") }.joined(separator: "\n"))
        }
        return report
    }

    /// "host h1" or "hosts h1, h2", for messages.
    static func hostsLabel(_ names: [String]) -> String {
        names.count == 1 ? "host \(names[0])" : "hosts \(names.joined(separator: ", "))"
    }
}
