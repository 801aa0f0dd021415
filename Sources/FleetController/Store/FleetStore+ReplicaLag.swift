import Foundation

/// How far this controller's replica is behind the fleet's log, for
/// `vfleet serve`'s metrics: read before anything catches it up.
public struct StoreReplicaLag: Sendable, Equatable {
    /// The last log entry this replica has applied.
    public var applied: Int64
    /// The log's head in etcd; nil when etcd could not be asked.
    public var head: Int64?

    /// Entries behind the head; nil when the head is unknown.
    public var entries: Int64? { head.map { max(0, $0 - applied) } }
}

extension FleetStore {
    /// Nil for a standalone store (it is the fleet; nothing to lag behind).
    public func replicaLag() -> StoreReplicaLag? {
        guard let replica else { return nil }
        guard let applied = try? replica.appliedSeq() else { return nil }
        let head = try? replica.log.head().seq
        return StoreReplicaLag(applied: applied, head: head)
    }
}
