import Synchronization

/// Asks, before each run of a leader's loop (resume, replicate, reconcile, auto-failover), whether
/// this `vfleet serve` leads; logs when that changes. A standalone store's
/// serve always leads.
final class LeaderGate: Sendable {
    private let store: FleetStore
    private let log: @Sendable (String) -> Void
    private let last = Mutex<String?>(nil)

    init(store: FleetStore, log: @escaping @Sendable (String) -> Void) {
        self.store = store
        self.log = log
    }

    func leads() -> Bool {
        let (leads, leader) = store.campaignForLeadership()
        let said = leads ? "this controller leads: it resumes orphaned operations, syncs replicas, reconciles and fails over"
            : "controller \(leader) leads; this one stands by (it serves /metrics and leads if that one stops)"
        let changed = last.withLock { previous in
            defer { previous = said }
            return previous != said
        }
        if changed && store.mode == "replicated" { log(said) }
        return leads
    }
}
