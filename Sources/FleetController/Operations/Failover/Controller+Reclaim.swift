import FleetProtocol
import Foundation

/// `vfleet host reclaim HOST`: a failed host answers again; the copies of
/// the guests a failover moved off it are stale (the fleet runs them on
/// their standby hosts since) and are deleted there, each by a journaled
/// operation whose calls carry a new fencing token.
extension Controller {
    public struct ReclaimReport: Codable, Sendable, Equatable {
        public var host: String
        public var dryRun: Bool
        public var items: [ReclaimedCopy]
        /// Guests still placed on the host (they had no replica): kept, its only copies.
        public var kept: [String]
        /// Replica directories of other guests the store no longer points
        /// at (a `host fail` moved them to other standbys): deleted too.
        public var replicas: [ReclaimedReplica] = []
    }
    public struct ReclaimedReplica: Codable, Sendable, Equatable {
        public var guest: String
        /// Where the store keeps the guest's replica now, if anywhere.
        public var keptOn: String?
        public var deleted: Bool = false
        public var error: String?
    }

    public struct ReclaimedCopy: Codable, Sendable, Equatable {
        public var guest: String
        public var placedOn: String?
        public var running: Bool
        public var deleted: Bool = false
        public var operation: Int64?
        public var error: String?
    }

    public func reclaimHost(_ name: String, dryRun: Bool) throws(FleetError) -> ReclaimReport {
        try recorder.record("host.reclaim", host: name, when: !dryRun) { (note: inout EventNote) throws(FleetError) in
            let report = try reclaimHostNow(name, dryRun: dryRun)
            let failed = report.items.filter { $0.error != nil }.count
            note.detail = "\(report.items.filter(\.deleted).count) stale copies deleted, \(report.replicas.filter(\.deleted).count) stale replicas deleted, \(report.kept.count) guest(s) kept"
            if failed > 0 || report.replicas.contains(where: { $0.error != nil }) {
                note.outcome = .failed
                note.error = "\(failed) stale copies not deleted (see the guests' events)"
            }
            return report
        }
    }

    func reclaimHostNow(_ name: String, dryRun: Bool) throws(FleetError) -> ReclaimReport {
        let host = try store.host(name)
        guard host.state == .failed else {
            throw .conflict("host \(name) is \(host.state.rawValue), not failed: reclaim deletes the stale copies a `vfleet host fail` left on a host")
        }
        let (stale, kept) = try staleCopies(on: host)
        var report = ReclaimReport(host: name, dryRun: dryRun,
                                   items: stale.map { ReclaimedCopy(guest: $0.guest, placedOn: $0.placedOn, running: $0.running) }, kept: kept)
        let replicaHosts = Dictionary(uniqueKeysWithValues: try store.replicas().map { ($0.guest, $0.host) })
        // An agent older than replica.list keeps its replica directories
        // (deleted by hand, or by reclaim once the agent is upgraded).
        let held: [String]
        do { held = try agents.call(RPC.ReplicaList(), on: host) } catch where error.code == .notFound && error.message.contains("unknown method") {
            held = []
        }
        report.replicas = ReclaimPlan.staleReplicas(on: name, holds: held, replicaHosts: replicaHosts)
            .map { ReclaimedReplica(guest: $0, keptOn: replicaHosts[$0]) }
        if dryRun { return report }
        for i in report.items.indices { deleteStaleCopy(&report.items[i], on: host) }
        for i in report.replicas.indices {
            do throws(FleetError) {
                // Checked again: a replicate to this host since the listing keeps its copy.
                guard try store.replica(of: report.replicas[i].guest)?.host != name else {
                    report.replicas[i].error = "the store points at this host's copy again: kept"
                    continue
                }
                _ = try agents.call(RPC.ReplicaDrop(name: report.replicas[i].guest), on: host)
                report.replicas[i].deleted = true
            } catch {
                report.replicas[i].error = error.message
            }
        }
        return report
    }

    /// What the host holds that failovers replaced, and the guests still placed on it.
    func staleCopies(on host: StoredHost) throws(FleetError) -> (stale: [ReclaimPlan.Item], kept: [String]) {
        let hello = try agents.call(RPC.Hello(HelloParams(client: "vfleet-controller")), on: host)
        let placements = Dictionary(uniqueKeysWithValues: try store.placements().map { ($0.guest, $0.host) })
        let failedOver = Set(try store.doneFailovers().filter { FailoverParams(json: $0.params)?.from == host.name }.map(\.guest))
        let stale = ReclaimPlan.stale(on: host.name, holds: hello.host.guests, placements: placements, failedOver: failedOver)
        let kept = hello.host.guests.map(\.name).filter { placements[$0] == host.name }.sorted()
        return (stale, kept)
    }

    static let reclaimKind = "reclaim"

    private func deleteStaleCopy(_ item: inout ReclaimedCopy, on host: StoredHost) {
        var copy = item
        do throws(FleetError) {
            try recorder.record("guest.reclaim", guest: item.guest, host: host.name) { (note: inout EventNote) throws(FleetError) in
                let op = try store.beginOperation(kind: Self.reclaimKind, guest: copy.guest, host: host.name, params: "{}", firstStep: "stop")
                note.operation = op.id
                copy.operation = op.id
                try runReclaim(op, copy.guest, on: host)
                copy.deleted = true
                note.detail = "stale copy deleted (the guest runs on \(copy.placedOn ?? "?"))"
            }
        } catch {
            copy.error = error.message
        }
        item = copy
    }

    /// Stops and destroys the stale copy of `guest` on `host`, fenced by
    /// `op`'s token, and ends `op`. Runs again after a crash: a copy
    /// already gone is done.
    private func runReclaim(_ op: StoredOperation, _ guest: String, on host: StoredHost) throws(FleetError) {
        let id = op.id!
        let fenced = FencedTransport.wrapping(agents, fence: Fence(guest: guest, token: op.fence, operation: id))
        do throws(FleetError) {
            // Never the fleet's live copy: the guest must be placed elsewhere.
            guard let placed = try store.placement(of: guest)?.host, placed != host.name else {
                throw .conflict("guest \(guest) is placed on \(host.name) now: its copy there is not stale, and is kept")
            }
            // Under a token newer than the failover's: the returned host
            // remembers it, and refuses any older operation's call.
            let status: GuestStatus
            do { status = try fenced.call(RPC.GuestStatus(name: guest), on: host) } catch where error.code == .notFound {
                try store.finishOperation(id, state: .done)
                return
            }
            if status.state == .running { _ = try fenced.call(RPC.GuestStop(name: guest), on: host) }
            try store.beginStep(id, "destroy")
            _ = try fenced.call(RPC.GuestDestroy(name: guest, force: true), on: host)
            try store.finishOperation(id, state: .done)
        } catch {
            try? store.finishOperation(id, state: .failed, error: error.message)
            throw error
        }
    }

    /// `ops resume` / serve's resume of a reclaim left in flight.
    func resumeReclaim(_ op: StoredOperation) -> ResumeOutcome {
        guard let guest = op.guest, let hostName = op.host else {
            return ResumeOutcome(operation: op.id!, guest: op.guest, outcome: "failed", detail: "reclaim \(op.id!) names no guest or host")
        }
        do throws(FleetError) {
            try runReclaim(op, guest, on: try store.host(hostName))
            return ResumeOutcome(operation: op.id!, guest: guest, outcome: "done", detail: "stale copy of \(guest) on \(hostName) deleted")
        } catch {
            return ResumeOutcome(operation: op.id!, guest: guest, outcome: "failed", detail: error.message)
        }
    }
}
