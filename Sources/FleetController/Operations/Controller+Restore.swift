import FleetProtocol
import Foundation

extension Controller {
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
        let host = try store.host(hostName)
        if host.state == .failed {
            // A failed host takes placements again only once the stale
            // copies of the guests failed over from it are gone.
            let stale = try staleCopies(on: host).stale
            if !stale.isEmpty {
                throw .conflict("host \(hostName) still holds stale copies of \(stale.map(\.guest).joined(separator: ", ")), which run elsewhere since `host fail`: run `vfleet host reclaim \(hostName)` first")
            }
        }
        let returning = try store.guests().filter { $0.origin == hostName }.map(\.name).sorted()
        var report = RestoreReport(host: hostName, dryRun: dryRun,
                                   moves: returning.map { .init(guest: $0, source: nil, destination: hostName, error: nil, downtimeSeconds: nil) },
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
