import FleetProtocol
import FleetScheduler
import Foundation

/// The `replicate:` key of a fleet file in `apply`: a plan step when the
/// guest's replica is not as the file says, and the change that makes it so.
extension Controller {
    /// The step that makes `name`'s replica what `wanted` says, or nil when
    /// it already is (or the file does not say). `host` is the guest's host
    /// (planned, for a new guest); `scheduler` already holds the plan's
    /// placements. The standby is chosen now so that the plan names it.
    func replicaStep(_ wanted: FleetFile.Replication?, guest: StoredGuest, demand: GuestDemand, host: String?,
                     current: StoredReplica?, scheduler: Scheduler) -> ApplyStep? {
        let name = guest.name
        guard let wanted else { return nil }
        switch wanted {
        case .none:
            guard let current else { return nil }
            return ApplyStep(action: .unreplicate, guest: name, host: host, detail: "drop the replica on \(current.host)",
                             error: nil, standby: current.host)
        case .keep(let to, let every):
            guard let host else { return nil }
            do throws(FleetError) { try Self.checkReplicable(guest) } catch {
                return ApplyStep(action: .impossible, guest: name, host: host, detail: "cannot be replicated", error: error.message)
            }
            if let current, current.host != host, to == nil || to == current.host {
                guard current.everySeconds != every else { return nil }
                return ApplyStep(action: .replicate, guest: name, host: host,
                                 detail: "replica on \(current.host): syncs \(Self.interval(current.everySeconds)) → \(Self.interval(every)) (no sync now)",
                                 error: nil, standby: current.host)
            }
            switch scheduler.standby(for: demand, runningOn: host, preferred: to) {
            case .failure(let f):
                return ApplyStep(action: .impossible, guest: name, host: host, detail: "no standby host for its replica",
                                 error: "no standby host for guest \(name): \(f.description)")
            case .success(let standby):
                let what = current.map { "standby \($0.host) → \(standby) (the copy on \($0.host) dropped after the first sync)" }
                    ?? "replicate to \(standby)"
                return ApplyStep(action: .replicate, guest: name, host: host,
                                 detail: "\(what), synced \(Self.interval(every)); first sync now", error: nil, standby: standby)
            }
        }
    }

    /// Carries out a replicate or unreplicate step of `apply`.
    func applyReplicaStep(_ step: ApplyStep, wanted: FleetFile.Replication?) throws(FleetError) {
        switch (step.action, wanted) {
        case (.unreplicate, _):
            try stopReplicating(step.guest)
        case (.replicate, .keep(_, let every)?):
            guard let standby = step.standby else { return }
            if var current = try store.replica(of: step.guest), current.host == standby, current.host != step.host {
                // Only the interval changes: the point stays as it is.
                try recorder.record("guest.replicate.every", guest: step.guest, host: standby) { (note: inout EventNote) throws(FleetError) in
                    current.everySeconds = every
                    try store.saveReplica(current)
                    note.detail = "syncs \(Self.interval(every))"
                }
                return
            }
            _ = try replicateGuest(step.guest, to: standby, every: every)
            // replicateGuest keeps an interval it is not given; the file's
            // absent `every` means no scheduled syncs.
            if every == nil, var current = try store.replica(of: step.guest), current.everySeconds != nil {
                current.everySeconds = nil
                try store.saveReplica(current)
            }
        default:
            return
        }
    }

    static func interval(_ every: Double?) -> String {
        every.map { "every \(Int($0)) s" } ?? "only by --sync-now"
    }
}
