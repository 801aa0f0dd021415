import FleetEtcd
import FleetEtcdTestSupport
import FleetSystem
import FleetTestSupport
import Foundation
import Testing

/// Leases against a real 3-member etcd: what fencing and ownership will
/// stand on.
@Suite(.tags(.root), .serialized) struct EtcdLeaseTests {
    @Test func anExpiredLeaseDeletesItsKeys() throws {
        try withEtcdCluster { cluster in
            let etcd = try cluster.client()
            let lease = try etcd.grantLease(ttl: 1)
            #expect(lease.id != 0 && lease.ttl == 1)
            _ = try etcd.put(EtcdPutRequest("/vfleet/owner/web1", "controller-a", lease: lease.id))
            #expect(try etcd.get("/vfleet/owner/web1")?.lease == lease.id)
            let alive = try etcd.timeToLive(lease.id, keys: true)
            #expect(!alive.isExpired && alive.grantedTTL == 1)
            #expect(alive.keys == [Data("/vfleet/owner/web1".utf8)])
            #expect(try etcd.keepAliveOnce(lease.id).ttl == 1)

            // Not kept alive any more: the key goes with the lease.
            let deadline = Monotonic.now + 5
            while try etcd.get("/vfleet/owner/web1") != nil {
                try #require(Monotonic.now < deadline, "the key outlived its lease by seconds")
                usleep(100_000)
            }
            #expect(try etcd.timeToLive(lease.id).isExpired)
            #expect(throws: EtcdError.self) { try etcd.keepAliveOnce(lease.id) }
            do throws(EtcdError) {
                _ = try etcd.put(EtcdPutRequest("/vfleet/owner/web1", "late", lease: lease.id))
                Issue.record("a put with an expired lease succeeded")
            } catch {
                #expect(error.kind == .leaseNotFound, "\(error)")
            }
            #expect(try etcd.get("/vfleet/owner/web1") == nil)
        }
    }

    @Test func keepAliveHoldsALeaseAndRevokeEndsItAtOnce() throws {
        try withEtcdCluster { cluster in
            let etcd = try cluster.client()
            let lease = try etcd.grantLease(ttl: 1)
            _ = try etcd.put(EtcdPutRequest("/vfleet/leader", "a", lease: lease.id))
            // Kept alive past three TTLs, the key stays.
            for _ in 0..<6 {
                usleep(500_000)
                #expect(try etcd.keepAliveOnce(lease.id).ttl == 1)
            }
            #expect(try etcd.get("/vfleet/leader")?.valueString == "a")
            try etcd.revokeLease(lease.id)
            #expect(try etcd.get("/vfleet/leader") == nil)
        }
    }
}
