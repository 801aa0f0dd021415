import FleetEtcd
import FleetProtocol
import Synchronization

/// In a replicated store, what tells every controller whether the process
/// that owns an operation ("PID@HOST") still lives: the key
/// `<prefix>/owners/PID@HOST`, put with a lease of this process's that a
/// thread keeps alive (EtcdLeaseKeeper). A process killed, or cut off from
/// etcd, stops the keep-alives; a TTL later etcd drops the key, and any
/// controller's `vfleet serve` takes the operation over (a claim, with a
/// new fencing token). The owner itself stops writing its journal once it
/// is no longer sure its lease lives (`assertHeld`).
final class OwnerLease: Sendable {
    let client: EtcdClient
    let prefix: String
    let ttl: Int64
    private let keeper = Mutex<EtcdLeaseKeeper?>(nil)

    init(client: EtcdClient, prefix: String, ttl: Int64) {
        self.client = client
        self.prefix = prefix
        self.ttl = ttl
    }

    func key(_ owner: String) -> String { "\(prefix)/owners/\(owner)" }

    /// Makes sure this process holds a live lease and its owner key exists,
    /// before it begins or claims an operation (so no controller ever sees
    /// the operation with an owner whose key is missing).
    func ensure(owner: String) throws(FleetError) {
        try keeper.withLock { current throws(FleetError) in
            if let held = current, held.isHeld { return }
            if let lost = current {
                // Lost before: a new lease is a new life for this process,
                // but what it owned under the old one is another's now, and
                // its journal writes say so (FleetStore.assertOwned).
                lost.stop(revoke: false)
            }
            do throws(EtcdError) {
                let fresh = try EtcdLeaseKeeper(client: client, ttl: ttl)
                _ = try client.put(EtcdPutRequest(key(owner), "vfleet operation owner", lease: fresh.lease))
                current = fresh
            } catch {
                throw FleetError(.unreachable, "cannot register this controller process (\(owner)) as an operation owner in etcd: \(error.message); nothing was begun (an operation needs its owner's lease so that another controller can take it over if this one dies)")
            }
        }
    }

    /// Throws unless the lease is surely alive: once it may have expired,
    /// another controller may own this process's operations.
    func assertHeld(owner: String) throws(FleetError) {
        let state = keeper.withLock { k -> (held: Bool, why: String?) in (k?.isHeld ?? false, k?.lost?.message) }
        guard state.held else {
            throw FleetError(.conflict, "this controller process (\(owner)) lost its lease in etcd\(state.why.map { " (\($0))" } ?? ""), so it \(FleetStore.noLongerOwns) its operations for sure: another controller may have taken them over, and it stops here (see `vfleet ops list`)")
        }
    }

    /// Whether `owner`'s key exists: .alive, .dead (its lease ended), or
    /// .unknown when etcd cannot be asked.
    func liveness(of owner: String) -> OperationOwner.Liveness {
        do throws(EtcdError) {
            return try client.get(key(owner)) == nil ? .dead : .alive
        } catch {
            return .unknown
        }
    }

    /// Revokes the lease now (a controller that ends cleanly): its key goes
    /// at once; it owns nothing in flight by then.
    func release() {
        keeper.withLock { current in
            current?.stop(revoke: true)
            current = nil
        }
    }
}
