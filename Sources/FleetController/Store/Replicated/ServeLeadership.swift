import FleetEtcd
import FleetProtocol
import Synchronization

/// Which `vfleet serve` of a replicated fleet leads: the one whose lease
/// holds the key `<prefix>/leader`. Only the leader resumes operations
/// whose owner died and syncs replicas; every serve answers /metrics.
/// The key is taken with a transaction that succeeds only while it is
/// absent, so two never lead at once by etcd's word; a leader that can no
/// longer be sure its lease lives stops leading before etcd drops the key.
final class ServeLeadership: Sendable {
    enum State: Sendable, Equatable {
        case leading
        case following(String)
        /// etcd could not be asked: nobody here may act as leader.
        case unknown(String)
    }

    let client: EtcdClient
    let prefix: String
    let ttl: Int64
    private let keeper = Mutex<EtcdLeaseKeeper?>(nil)

    init(client: EtcdClient, prefix: String, ttl: Int64) {
        self.client = client
        self.prefix = prefix
        self.ttl = ttl
    }

    var key: String { "\(prefix)/leader" }

    /// Leads if the key is free (or ours), else says who leads.
    func campaign(as name: String) -> State {
        keeper.withLock { current in
            do throws(EtcdError) {
                if let held = current, held.isHeld {
                    let leader = try client.get(key)
                    if leader?.lease == held.lease { return .leading }
                    if let leader { return .following(String(decoding: leader.value, as: UTF8.self)) }
                } else {
                    current?.stop(revoke: false)
                    current = try EtcdLeaseKeeper(client: client, ttl: ttl)
                }
                guard let lease = current?.lease else { return .unknown("no lease") }
                let taken = try client.txn(EtcdTxnRequest(compare: [EtcdCompare(key, .equal, .createRevision(0))],
                                                          success: [.put(EtcdPutRequest(key, name, lease: lease))]))
                if taken.succeeded { return .leading }
                guard let leader = try client.get(key) else { return .unknown("the leader key went while it was read") }
                return leader.lease == lease ? .leading : .following(String(decoding: leader.value, as: UTF8.self))
            } catch {
                return .unknown(error.message)
            }
        }
    }

    /// Steps down at once (serve stopping): the key goes with the lease.
    func resign() {
        keeper.withLock { current in
            current?.stop(revoke: true)
            current = nil
        }
    }
}
