import FleetProtocol
import FleetScheduler
import Foundation

/// Replicas follow their guests (docs/ARCHITECTURE.md, replicas): a guest
/// that comes to run on its standby host (any move: guest move, evacuate,
/// rebalance, restore, finished by its command, `ops resume` or serve)
/// gets a new standby; a standby host that is evacuated or failed hands
/// its replicas to others. Either way the new standby is the scheduler's
/// (never the guest's host), gets the template and a full sync, and only
/// once that sync made a complete point is the old copy dropped: the guest
/// is never without a point longer than the sync takes.
extension Controller {
    /// What became of one replica whose standby had to change.
    public struct ReplicaRetarget: Sendable, Codable, Equatable {
        public var guest: String
        /// The standby it had.
        public var from: String
        /// The standby it has now (nil: it could not move, see `error`).
        public var to: String?
        public var point: Int?
        public var digest: String?
        /// The old standby's copy was dropped (false: the host did not
        /// answer or is failed: `vfleet host reclaim` deletes it there).
        public var droppedOld: Bool = false
        public var error: String?

        /// One line for a move's output and `ops resume`.
        public var line: String {
            if let to, error == nil {
                return "replica of \(guest) moved from \(from) to \(to) (point \(point ?? 0))" + (droppedOld ? "" : "; its old copy on \(from) is left for `vfleet host reclaim \(from)`")
            }
            return "replica of \(guest) stays on \(from): \(error ?? "not re-targeted")"
        }
    }

    /// After a move of `guest`: a replica on the host the guest now runs
    /// on is re-targeted; otherwise nothing (the standby stays, and the
    /// next sync comes from the new host: the standby's manifest drives
    /// the delta). Never throws: the move is done whatever happens here.
    func followReplica(afterMoveOf guest: String) -> ReplicaRetarget? {
        guard let replica = try? store.replica(of: guest), let placed = try? store.placement(of: guest)?.host,
              placed == replica.host else { return nil }
        return retarget(replica, dropOld: true)
    }

    /// The replicas kept on `hosts` (being evacuated or failed), each
    /// moved to a new standby; the old copies are dropped when `dropOld`
    /// (evacuation: the host answers), else left for `host reclaim`.
    func retargetReplicas(heldOn hosts: Set<String>, dropOld: Bool) -> [ReplicaRetarget] {
        let held = ((try? store.replicas()) ?? []).filter { hosts.contains($0.host) }
        return parallelMap(held, maxParallel: settings.maxParallelHosts) { [self] replica in retarget(replica, dropOld: dropOld) }
    }

    /// Moves `replica` to a new standby: chosen, template ensured, synced
    /// in full, recorded, then the old copy dropped. On failure the record
    /// keeps its old standby with the reason in lastError (`guest show`),
    /// and the scheduled syncs try again (syncDueReplicas).
    func retarget(_ replica: StoredReplica, dropOld: Bool) -> ReplicaRetarget {
        var outcome = ReplicaRetarget(guest: replica.guest, from: replica.host)
        do throws(FleetError) {
            let guest = try store.guest(replica.guest)
            let source = try hostOf(replica.guest)
            let standby = try chooseStandby(for: guest, on: source.name, preferred: nil)
            outcome.to = standby
            try ensureTemplate(try store.template(guest.template), on: try store.host(standby))
            var moved = StoredReplica(guest: replica.guest, host: standby, everySeconds: replica.everySeconds, createdAt: Date().timeIntervalSince1970)
            moved.lastSyncAt = replica.lastSyncAt
            try store.saveReplica(moved)
            do throws(FleetError) {
                let synced = try syncReplica(replica.guest)
                outcome.point = synced.point
                outcome.digest = synced.digest
            } catch {
                // Back to the copy that is whole; what the new standby got is dropped.
                if let host = try? store.host(standby) { _ = try? agents.call(RPC.ReplicaDrop(name: replica.guest), on: host) }
                throw error
            }
        } catch {
            outcome.error = (outcome.to.map { "re-targeting to \($0) failed: " } ?? "") + error.message
            outcome.to = nil
            var kept = replica
            // Tried again at the replica's next interval, not at once.
            kept.lastSyncAt = Date().timeIntervalSince1970
            kept.lastError = "the standby \(replica.host) must change (\(reason(replica))) but \(outcome.error!)"
            try? store.saveReplica(kept)
            return outcome
        }
        if dropOld, let old = try? store.host(replica.host), old.state != .failed {
            outcome.droppedOld = (try? agents.call(RPC.ReplicaDrop(name: replica.guest), on: old)) != nil
        }
        return outcome
    }

    /// Why a replica's standby must change, for its lastError.
    private func reason(_ replica: StoredReplica) -> String {
        if (try? store.placement(of: replica.guest)?.host) == replica.host { return "the guest runs there now" }
        return "host \(replica.host) is \((try? store.host(replica.host).state.rawValue) ?? "gone")"
    }

    /// Whether a replica must move before its next sync: its guest runs on
    /// it, or its host is drained or failed (a re-targeting that failed
    /// then is tried again by the schedule).
    func needsNewStandby(_ replica: StoredReplica, placements: [String: String], hostStates: [String: StoredHost.State]) -> Bool {
        if placements[replica.guest] == replica.host { return true }
        switch hostStates[replica.host] {
        case .failed?, .evacuating?, .evacuated?, nil: return true
        default: return false
        }
    }
}
