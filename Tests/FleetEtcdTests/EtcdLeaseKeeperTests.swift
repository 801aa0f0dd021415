import FleetEtcd
import FleetEtcdTestSupport
import FleetSystem
import FleetTestSupport
import Foundation
import Testing

/// A lease kept alive in the background, as an owner's lock will be.
@Suite(.tags(.root), .serialized) struct EtcdLeaseKeeperTests {
    @Test func keepsTheLeaseUntilStoppedThenItsKeysGo() throws {
        try withEtcdCluster(size: 1) { cluster in
            let etcd = try cluster.client()
            let keeper = try EtcdLeaseKeeper(client: etcd, ttl: 1)
            _ = try etcd.put(EtcdPutRequest("/vfleet/owner/web1", "a", lease: keeper.lease))
            // Three TTLs later the key is still there.
            usleep(3_000_000)
            #expect(keeper.isHeld)
            #expect(try etcd.get("/vfleet/owner/web1")?.valueString == "a")
            // Stopped without revoking: the lease runs out by itself.
            keeper.stop(revoke: false)
            #expect(!keeper.isHeld)
            let deadline = Monotonic.now + 4
            while try etcd.get("/vfleet/owner/web1") != nil {
                try #require(Monotonic.now < deadline, "the key outlived its stopped keeper's lease")
                usleep(100_000)
            }
            #expect(keeper.lost == nil)
        }
    }

    @Test func reportsALeaseRevokedByAnother() throws {
        try withEtcdCluster(size: 1) { cluster in
            let etcd = try cluster.client()
            let lost = Locked<EtcdError?>(nil)
            let keeper = try EtcdLeaseKeeper(client: etcd, ttl: 2) { error in lost.withLock { $0 = error } }
            defer { keeper.stop() }
            try cluster.client().revokeLease(keeper.lease)
            let started = Monotonic.now
            while lost.withLock({ $0 }) == nil, Monotonic.now - started < 4 { usleep(50_000) }
            #expect(lost.withLock { $0 }?.kind == .leaseNotFound)
            #expect(keeper.lost?.kind == .leaseNotFound)
            #expect(!keeper.isHeld)
        }
    }

    @Test func givesUpOwnershipWhenEtcdIsGoneForATTL() throws {
        try withEtcdCluster(size: 1) { cluster in
            let etcd = try cluster.client(timeout: 1)
            let lost = Locked<EtcdError?>(nil)
            let keeper = try EtcdLeaseKeeper(client: etcd, ttl: 2) { error in lost.withLock { $0 = error } }
            defer { keeper.stop() }
            let granted = Monotonic.now
            cluster.pause(0)
            // Its keep-alives hang until the client's timeout and never
            // succeed: the keeper must not claim the lease past its TTL,
            // though etcd never said it expired.
            while keeper.isHeld { usleep(20_000) }
            #expect(Monotonic.now - granted < 2.3)
            let started = Monotonic.now
            while lost.withLock({ $0 }) == nil, Monotonic.now - started < 3 { usleep(50_000) }
            let error = try #require(lost.withLock { $0 })
            #expect(error.kind == .unreachable)
            #expect(error.message.contains("may have expired"), "\(error)")
        }
    }
}
