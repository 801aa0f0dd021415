@testable import FleetController
import Testing

/// When `vfleet serve` syncs a replica: StoredReplica.isDue.
@Suite(.tags(.unit)) struct ReplicaScheduleTests {
    @Test func aReplicaWithoutAnIntervalIsNeverDue() {
        let r = StoredReplica(guest: "g", host: "h", everySeconds: nil, createdAt: 0)
        #expect(!r.isDue(at: 1e9))
    }

    @Test func dueOnceTheIntervalPassedSinceTheLastSync() {
        var r = StoredReplica(guest: "g", host: "h", everySeconds: 300, createdAt: 0)
        #expect(r.isDue(at: 10), "never synced: due at once")
        r.lastSyncAt = 1000
        #expect(!r.isDue(at: 1299))
        #expect(r.isDue(at: 1300))
        // A failed sync counts as a sync: it is not retried in a tight loop.
        r.lastError = "unreachable"
        #expect(!r.isDue(at: 1100))
    }
}
