import FleetEtcd
import FleetEtcdTestSupport
import FleetSystem
import FleetTestSupport
import Foundation
import Testing

/// Reads, writes and transactions against a real 3-member etcd.
@Suite(.tags(.root), .serialized) struct EtcdKVTests {
    @Test func putRangePrefixAndDeleteRoundTrip() throws {
        try withEtcdCluster { cluster in
            let etcd = try cluster.client()
            let first = try etcd.put(EtcdPutRequest("/vfleet/hosts/a", "1"))
            _ = try etcd.put(EtcdPutRequest("/vfleet/hosts/b", "2"))
            _ = try etcd.put(EtcdPutRequest("/vfleet/hostsx", "not under the prefix"))
            let replaced = try etcd.put(EtcdPutRequest("/vfleet/hosts/a", "3", previous: true))
            #expect(replaced.previous?.valueString == "1")
            #expect(replaced.header.revision > first.header.revision)

            let all = try etcd.range(EtcdRangeRequest(.prefix("/vfleet/hosts/")))
            #expect(all.kvs.map(\.keyString) == ["/vfleet/hosts/a", "/vfleet/hosts/b"])
            #expect(all.kvs.map(\.valueString) == ["3", "2"])
            #expect(all.kvs[0].version == 2 && all.kvs[0].createRevision == first.header.revision)

            let limited = try etcd.range(EtcdRangeRequest(.prefix("/vfleet/hosts/"), limit: 1))
            #expect(limited.kvs.count == 1 && limited.more && limited.count == 2)

            // As of an old revision: the value before the replace.
            let old = try etcd.range(EtcdRangeRequest(.key("/vfleet/hosts/a"), revision: first.header.revision))
            #expect(old.kvs.first?.valueString == "1")

            let binary = Data([0, 1, 0xfe, 0xff, 0x80])
            _ = try etcd.put(EtcdPutRequest(key: Data("/vfleet/blob".utf8), value: binary))
            #expect(try etcd.get("/vfleet/blob")?.value == binary)

            let deleted = try etcd.delete(EtcdDeleteRequest(.prefix("/vfleet/hosts/"), previous: true))
            #expect(deleted.deleted == 2)
            #expect(deleted.previous.map(\.valueString).sorted() == ["2", "3"])
            #expect(try etcd.range(EtcdRangeRequest(.prefix("/vfleet/hosts/"))).kvs.isEmpty)
            #expect(try etcd.get("/vfleet/hostsx")?.valueString == "not under the prefix")

            #expect(try etcd.members().count == 3)
        }
    }

    @Test func twoWritersAppendToTheSameLogHeadExactlyOneWins() throws {
        try withEtcdCluster { cluster in
            let head = "/vfleet/log/head"
            let setup = try cluster.client()
            _ = try setup.put(EtcdPutRequest(head, "0"))
            // Each writer has its own client (as two controllers would).
            let writers = try [cluster.client(), cluster.client(endpoints: cluster.endpoints.reversed())]
            let seen = try #require(try setup.get(head))

            /// Appends entry index+1 if the head is still the one read.
            @Sendable func append(_ etcd: EtcdClient, name: String, after head0: EtcdKeyValue) throws(EtcdError) -> EtcdTxnResult {
                let next = Int(head0.valueString)! + 1
                return try etcd.txn(EtcdTxnRequest(
                    compare: [EtcdCompare(head, .equal, .modRevision(head0.modRevision))],
                    success: [.put(EtcdPutRequest(head, String(next))), .put(EtcdPutRequest("/vfleet/log/\(next)", name))],
                    failure: [.range(EtcdRangeRequest(.key(head)))]))
            }

            let results = Locked<[Int: Result<EtcdTxnResult, EtcdError>]>([:])
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                let outcome = Result { () throws(EtcdError) in try append(writers[index], name: "w\(index)", after: seen) }
                results.withLock { $0[index] = outcome }
            }
            let finished = results.withLock { $0 }
            let outcomes = try (0..<2).map { index in try #require(finished[index]).get() }
            #expect(outcomes.filter(\.succeeded).count == 1)
            let loser = try #require(outcomes.firstIndex { !$0.succeeded })
            let winner = 1 - loser
            // The loser's failure branch read the new head: it retries from it.
            guard case .range(let read) = outcomes[loser].responses.first, let newHead = read.kvs.first else {
                Issue.record("the losing transaction did not return the head: \(outcomes[loser])")
                return
            }
            #expect(newHead.valueString == "1")
            let retried = try append(writers[loser], name: "w\(loser)", after: newHead)
            #expect(retried.succeeded)
            // An append from a stale head still fails.
            #expect(try !append(writers[winner], name: "stale", after: seen).succeeded)

            let log = try setup.range(EtcdRangeRequest(.prefix("/vfleet/log/")))
            #expect(log.kvs.map(\.keyString) == ["/vfleet/log/1", "/vfleet/log/2", "/vfleet/log/head"])
            #expect(log.kvs.map(\.valueString) == ["w\(winner)", "w\(loser)", "2"])
        }
    }

    @Test func aValueOverTheRequestLimitIsRefusedWithWhatToDo() throws {
        try withEtcdCluster(size: 1) { cluster in
            let etcd = try cluster.client()
            let big = Data(repeating: 0x61, count: 2 * 1024 * 1024)
            // Over etcd's own limit, and over the gRPC message limit behind the gateway.
            for size in [1_700_000, big.count] {
                do throws(EtcdError) {
                    _ = try etcd.put(EtcdPutRequest(key: Data("/vfleet/snapshot".utf8), value: big.prefix(size)))
                    Issue.record("a value of \(size) bytes was accepted")
                } catch {
                    #expect(error.message.contains("--max-request-bytes") && error.message.contains("chunks"), "\(error)")
                }
            }
            // A chunk under the limit goes through.
            _ = try etcd.put(EtcdPutRequest(key: Data("/vfleet/snapshot/0".utf8), value: big.prefix(1024 * 1024)))
            #expect(try etcd.get("/vfleet/snapshot/0")?.value.count == 1024 * 1024)
        }
    }

    @Test func createIfAbsentComparesOnCreateRevisionZero() throws {
        try withEtcdCluster { cluster in
            let etcd = try cluster.client()
            let create = EtcdTxnRequest(
                compare: [EtcdCompare("/vfleet/lock/web1", .equal, .createRevision(0))],
                success: [.put(EtcdPutRequest("/vfleet/lock/web1", "controller-a"))])
            #expect(try etcd.txn(create).succeeded)
            #expect(try !etcd.txn(create).succeeded)
            #expect(try etcd.get("/vfleet/lock/web1")?.valueString == "controller-a")
        }
    }
}
