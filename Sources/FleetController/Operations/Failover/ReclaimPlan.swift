import FleetProtocol

/// What `vfleet host reclaim HOST` deletes on a failed host that answers
/// again: a pure function of what its agent lists and the store's
/// placements, tested without hosts.
public enum ReclaimPlan {
    public struct Item: Codable, Sendable, Equatable {
        public var guest: String
        /// Where the guest is placed now (its live copy), or nil when the
        /// controller does not know the guest.
        public var placedOn: String?
        /// Whether the stale copy runs on the returned host (it is stopped first).
        public var running: Bool
    }

    /// The guests the host holds that a failover from it placed on another
    /// host: copies the fleet has replaced. A guest still placed on the host
    /// (it had no replica) is its only copy and is kept; a guest placed
    /// elsewhere for another reason (a move's kept source, a guest the
    /// controller does not know) is left alone, as reconcile leaves it:
    /// reclaim deletes only what a failover made stale.
    public static func stale(on host: String, holds: [GuestStatus], placements: [String: String], failedOver: Set<String>) -> [Item] {
        holds.compactMap { status -> Item? in
            guard failedOver.contains(status.name), let placed = placements[status.name], placed != host else { return nil }
            return Item(guest: status.name, placedOn: placed, running: status.state == .running)
        }.sorted { $0.guest < $1.guest }
    }

    /// The replica directories the host keeps that the store no longer
    /// points at: replicas a `host fail` moved to another standby (or that
    /// were dropped meanwhile). One the store still keeps there is left
    /// alone (its guest's only point may be it).
    public static func staleReplicas(on host: String, holds: [String], replicaHosts: [String: String]) -> [String] {
        holds.filter { replicaHosts[$0] != host }.sorted()
    }
}
