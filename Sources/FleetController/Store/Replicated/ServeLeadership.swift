import FleetEtcd
import FleetProtocol

/// Which `vfleet serve` of a replicated fleet leads: the one whose lease
/// holds the key `<prefix>/leader`. Only the leader resumes operations
/// whose owner died, syncs replicas and reconciles; every serve answers
/// /metrics. The key is taken with a transaction that succeeds only while
/// it is absent, so two never lead at once by etcd's word; a leader that
/// can no longer be sure its lease lives stops leading before etcd drops
/// the key.
final class ServeLeadership: Sendable {
    enum State: Sendable, Equatable {
        case leading
        case following(String)
        /// etcd could not be asked: nobody here may act as leader.
        case unknown(String)
    }

    let prefix: String
    private let lease: HeldLease

    init(client: EtcdClient, prefix: String, ttl: Int64) {
        self.prefix = prefix
        lease = HeldLease(client: client, ttl: ttl)
    }

    var key: String { "\(prefix)/leader" }

    /// Leads if the key is free (or ours), else says who leads.
    func campaign(as name: String) -> State {
        let client = lease.client
        do throws(EtcdError) {
            return try lease.withLive { held, _ throws(EtcdError) -> State in
                if let leader = try client.get(key) {
                    return leader.lease == held.lease ? .leading : .following(String(decoding: leader.value, as: UTF8.self))
                }
                let taken = try client.txn(EtcdTxnRequest(compare: [EtcdCompare(key, .equal, .createRevision(0))],
                                                          success: [.put(EtcdPutRequest(key, name, lease: held.lease))]))
                if taken.succeeded { return .leading }
                guard let leader = try client.get(key) else { return .unknown("the leader key went while it was read") }
                return leader.lease == held.lease ? .leading : .following(String(decoding: leader.value, as: UTF8.self))
            }
        } catch {
            return .unknown(error.message)
        }
    }

    /// Steps down at once (serve stopping): the key goes with the lease.
    func resign() { lease.end() }
}
