import FleetEtcd
import Synchronization

/// One lease this process holds in etcd, granted when first needed and
/// again after it was lost (a new lease: what the old one guarded may be
/// another's by then). Shared by the owner key (OwnerLease) and the leader
/// key (ServeLeadership).
final class HeldLease: Sendable {
    let client: EtcdClient
    let ttl: Int64
    private let keeper = Mutex<EtcdLeaseKeeper?>(nil)

    init(client: EtcdClient, ttl: Int64) {
        self.client = client
        self.ttl = ttl
    }

    /// Runs `body` with a live lease: the one held, or a new one when there
    /// was none or it was lost. Under the lease's lock, so that two threads
    /// never both grant one. A new lease is kept only if `body` succeeded
    /// with it (an owner key that could not be put must not look alive).
    func withLive<T>(_ body: (EtcdLeaseKeeper, _ fresh: Bool) throws(EtcdError) -> T) throws(EtcdError) -> T {
        try keeper.withLock { current throws(EtcdError) -> T in
            if let held = current, held.isHeld { return try body(held, false) }
            current?.stop(revoke: false)
            current = nil
            let fresh = try EtcdLeaseKeeper(client: client, ttl: ttl)
            do throws(EtcdError) {
                let result = try body(fresh, true)
                current = fresh
                return result
            } catch {
                fresh.stop(revoke: true)
                throw error
            }
        }
    }

    /// Whether a lease is held and surely alive, and why the last one was lost.
    var state: (held: Bool, lost: String?) {
        keeper.withLock { k in (k?.isHeld ?? false, k?.lost?.message) }
    }

    /// Ends the lease (revoked: its keys go at once).
    func end() {
        keeper.withLock { current in
            current?.stop(revoke: true)
            current = nil
        }
    }
}
