import FleetProtocol
import FleetScheduler
import Foundation

extension Controller {
    public struct EvacuationReport: Codable, Sendable {
        public struct Move: Codable, Sendable {
            public var guest: String
            public var destination: String
            public var error: String?
            public var downtimeSeconds: Double?
        }
        public struct Unplaceable: Codable, Sendable {
            public var guest: String
            public var reason: String
            /// With --allow-partial it is stopped in place.
            public var stopped: Bool
        }
        public var host: String
        public var dryRun: Bool
        public var moves: [Move]
        public var unplaceable: [Unplaceable]
        /// The host's state afterwards.
        public var hostState: String
    }

    public enum EvacuationAction: String, Codable, Sendable { case migrate, stop }

    /// `vfleet host evacuate H`: no new placements on H; every guest gets a
    /// destination from the scheduler; the plan is computed first and
    /// carried out only if every guest fits (or --allow-partial). `planned`
    /// sees the plan before anything changes (not on a dry run: the plan is
    /// the report then).
    public func evacuate(_ hostName: String, dryRun: Bool, maxParallel: Int = 1, action: EvacuationAction = .migrate,
                         allowPartial: Bool = false, planned: (EvacuationReport) -> Void = { _ in },
                         progress: @escaping @Sendable (MoveProgress) -> Void = { _ in }) throws(FleetError) -> EvacuationReport {
        try recorder.record("host.evacuate", host: hostName, when: !dryRun) { (note: inout EventNote) throws(FleetError) in
            let report = try evacuateHost(hostName, dryRun: dryRun, maxParallel: maxParallel, action: action, allowPartial: allowPartial,
                                          planned: planned, progress: progress)
            let failed = report.moves.filter { $0.error != nil }.count
            let stopped = report.unplaceable.filter(\.stopped).count
            note.detail = "\(report.moves.count - failed) moved, \(stopped) stopped in place; host \(report.hostState)"
            if failed > 0 || report.unplaceable.contains(where: { !$0.stopped }) {
                note.outcome = .failed
                note.error = "\(failed) of \(report.moves.count) moves failed, \(report.unplaceable.count - stopped) guest(s) left running (see the guests' events)"
            }
            return report
        }
    }

    func evacuateHost(_ hostName: String, dryRun: Bool, maxParallel: Int, action: EvacuationAction, allowPartial: Bool,
                      planned: (EvacuationReport) -> Void, progress: @escaping @Sendable (MoveProgress) -> Void) throws(FleetError) -> EvacuationReport {
        let host = try store.host(hostName)
        let guests = try store.placements().filter { $0.host == hostName }.map(\.guest).sorted()
        for g in guests { try assertNoOperation(g) }
        var report = EvacuationReport(host: hostName, dryRun: dryRun, moves: [], unplaceable: [], hostState: host.state.rawValue)
        if action == .stop {
            report.unplaceable = guests.map { .init(guest: $0, reason: "--action stop", stopped: !dryRun) }
        } else {
            let plan = Scheduler.planEvacuation(of: hostName, hosts: capacities(try store.hosts()), placed: try placedGuests(),
                                                policy: settings.placementPolicy)
            report.moves = plan.moves.map { .init(guest: $0.guest.name, destination: $0.host, error: nil, downtimeSeconds: nil) }
            report.unplaceable = plan.unplaceable.map { .init(guest: $0.guest, reason: $0.description, stopped: false) }
            if !report.unplaceable.isEmpty && !allowPartial {
                throw FleetError(.conflict, "cannot evacuate host \(hostName): \(report.unplaceable.count) guest(s) fit nowhere; nothing was changed (use --allow-partial to stop them in place):\n"
                                 + report.unplaceable.map { "  " + $0.reason.replacingOccurrences(of: "\n", with: "\n  ") }.joined(separator: "\n"))
            }
        }
        if dryRun { return report }
        planned(report)
        try store.updateHostState(hostName, .evacuating)
        report.hostState = StoredHost.State.evacuating.rawValue
        for i in report.unplaceable.indices {
            do throws(FleetError) {
                _ = try stopGuest(report.unplaceable[i].guest, within: "host.evacuate")
                report.unplaceable[i].stopped = true
            } catch {
                report.unplaceable[i].stopped = false
                report.unplaceable[i].reason += "; stopping it failed: \(error.message)"
            }
        }
        let moves = report.moves
        let done = parallelMap(moves, maxParallel: max(1, maxParallel)) { [self] m -> EvacuationReport.Move in
            var out = m
            do throws(FleetError) {
                let r = try moveGuest(m.guest, to: m.destination, origin: hostName, within: "host.evacuate", progress: progress)
                out.downtimeSeconds = r.downtimeSeconds
            } catch {
                out.error = error.message
            }
            return out
        }
        report.moves = done
        let remaining = try store.placements().filter { $0.host == hostName }.map(\.guest)
        let stoppedInPlace = Set(report.unplaceable.filter(\.stopped).map(\.guest))
        if done.allSatisfy({ $0.error == nil }) && remaining.allSatisfy(stoppedInPlace.contains) {
            try store.updateHostState(hostName, .evacuated)
            report.hostState = StoredHost.State.evacuated.rawValue
        }
        return report
    }

    public struct RestoreReport: Codable, Sendable {
        public var host: String
        public var dryRun: Bool
        public var moves: [EvacuationReport.Move]
        public var hostState: String
    }

    /// `vfleet host restore H`: H takes placements again and the guests whose
    /// origin is H move back (a guest that no longer fits there stays, with the reason).
    public func restore(_ hostName: String, dryRun: Bool, maxParallel: Int = 1,
                        progress: @escaping @Sendable (MoveProgress) -> Void = { _ in }) throws(FleetError) -> RestoreReport {
        try recorder.record("host.restore", host: hostName, when: !dryRun) { (note: inout EventNote) throws(FleetError) in
            let report = try restoreHost(hostName, dryRun: dryRun, maxParallel: maxParallel, progress: progress)
            let failed = report.moves.filter { $0.error != nil }.count
            note.detail = "\(report.moves.count - failed) of \(report.moves.count) guests back"
            if failed > 0 {
                note.outcome = .failed
                note.error = "\(failed) of \(report.moves.count) moves back failed (see the guests' events)"
            }
            return report
        }
    }

    func restoreHost(_ hostName: String, dryRun: Bool, maxParallel: Int,
                     progress: @escaping @Sendable (MoveProgress) -> Void) throws(FleetError) -> RestoreReport {
        _ = try store.host(hostName)
        let returning = try store.guests().filter { $0.origin == hostName }.map(\.name).sorted()
        var report = RestoreReport(host: hostName, dryRun: dryRun,
                                   moves: returning.map { .init(guest: $0, destination: hostName, error: nil, downtimeSeconds: nil) },
                                   hostState: StoredHost.State.active.rawValue)
        if dryRun { return report }
        try store.updateHostState(hostName, .active)
        report.moves = parallelMap(report.moves, maxParallel: max(1, maxParallel)) { [self] m -> EvacuationReport.Move in
            var out = m
            do throws(FleetError) {
                if try store.placement(of: m.guest)?.host == hostName {
                    try store.setOrigin(m.guest, nil)
                    return out
                }
                let r = try moveGuest(m.guest, to: hostName, within: "host.restore", progress: progress)
                try store.setOrigin(m.guest, nil)
                out.downtimeSeconds = r.downtimeSeconds
            } catch {
                out.error = error.message
            }
            return out
        }
        return report
    }
}
