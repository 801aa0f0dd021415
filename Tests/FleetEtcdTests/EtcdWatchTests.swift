import FleetEtcd
import FleetEtcdTestSupport
import FleetSystem
import FleetTestSupport
import Foundation
import Testing

/// Watches against a real 3-member etcd: how a replica will follow the log.
@Suite(.tags(.root), .serialized) struct EtcdWatchTests {
    @Test func deliversEveryEventFromAnOldRevisionInOrder() throws {
        try withEtcdCluster { cluster in
            let etcd = try cluster.client()
            var expected: [(EtcdWatchEvent.Kind, String, Int64)] = []
            for index in 1...5 {
                let put = try etcd.put(EtcdPutRequest("/vfleet/log/\(index)", "entry \(index)"))
                expected.append((.put, "/vfleet/log/\(index)", put.header.revision))
            }
            let deleted = try etcd.delete(EtcdDeleteRequest(.key("/vfleet/log/2")))
            expected.append((.delete, "/vfleet/log/2", deleted.header.revision))
            // Outside the watched prefix: never delivered.
            _ = try etcd.put(EtcdPutRequest("/vfleet/other", "x"))

            let watch = try etcd.watch(.prefix("/vfleet/log/"), fromRevision: expected[0].2)
            defer { watch.cancel() }
            // Committed after the watch began, by another client, two in one transaction.
            let other = try cluster.client(endpoints: cluster.endpoints.reversed())
            let txn = try other.txn(EtcdTxnRequest(compare: [], success: [
                .put(EtcdPutRequest("/vfleet/log/6", "entry 6")), .put(EtcdPutRequest("/vfleet/log/7", "entry 7")),
            ]))
            expected.append((.put, "/vfleet/log/6", txn.header.revision))
            expected.append((.put, "/vfleet/log/7", txn.header.revision))

            var received: [EtcdWatchEvent] = []
            while received.count < expected.count, let event = try watch.next(timeout: 5) { received.append(event) }
            #expect(received.map(\.kind) == expected.map(\.0))
            #expect(received.map(\.kv.keyString) == expected.map(\.1))
            #expect(received.map(\.revision) == expected.map(\.2))
            #expect(received.first?.kv.valueString == "entry 1")
            // Nothing else arrives.
            #expect(try watch.next(timeout: 0.3) == nil)
        }
    }

    @Test func cancelEndsABlockedNext() throws {
        try withEtcdCluster(size: 1) { cluster in
            let etcd = try cluster.client()
            let watch = try etcd.watch(.prefix("/vfleet/quiet/"), fromRevision: 0)
            let outcome = Locked<EtcdError?>(nil)
            let started = Monotonic.now
            let reader = Thread {
                do throws(EtcdError) {
                    _ = try watch.next(timeout: 10)
                } catch {
                    outcome.withLock { $0 = error }
                }
            }
            reader.start()
            usleep(200_000)
            watch.cancel()
            while outcome.withLock({ $0 }) == nil, Monotonic.now - started < 5 { usleep(20_000) }
            #expect(outcome.withLock { $0 }?.kind == .cancelled)
            #expect(Monotonic.now - started < 2)
        }
    }
}

/// History etcd has compacted cannot be read or watched: the error says so
/// and what to do (start from a snapshot).
@Suite(.tags(.root), .serialized) struct EtcdCompactionTests {
    @Test func aWatchOrReadBeforeTheCompactedRevisionIsRefusedClearly() throws {
        try withEtcdCluster(size: 1) { cluster in
            let etcd = try cluster.client()
            let first = try etcd.put(EtcdPutRequest("/vfleet/log/1", "a"))
            let second = try etcd.put(EtcdPutRequest("/vfleet/log/2", "b"))
            try etcd.compact(before: second.header.revision)
            do throws(EtcdError) {
                let watch = try etcd.watch(.prefix("/vfleet/log/"), fromRevision: first.header.revision)
                defer { watch.cancel() }
                _ = try watch.next(timeout: 5)
                Issue.record("a watch from a compacted revision delivered events")
            } catch {
                #expect(error.kind == .compacted(revision: second.header.revision), "\(error)")
                #expect(error.message.contains("compacted its history up to \(second.header.revision)") && error.message.contains("snapshot"), "\(error)")
            }
            do throws(EtcdError) {
                _ = try etcd.range(EtcdRangeRequest(.prefix("/vfleet/log/"), revision: first.header.revision))
                Issue.record("a read at a compacted revision answered")
            } catch {
                #expect(error.kind == .compacted(revision: 0), "\(error)")
            }
            // From the compaction on, everything is still there.
            let watch = try etcd.watch(.prefix("/vfleet/log/"), fromRevision: second.header.revision)
            defer { watch.cancel() }
            #expect(try watch.next(timeout: 5)?.kv.valueString == "b")
        }
    }
}
