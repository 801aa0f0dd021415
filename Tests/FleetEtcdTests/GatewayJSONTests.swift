@testable import FleetEtcd
import FleetTestSupport
import Foundation
import Testing

/// The JSON the gateway speaks: base64 keys and values, 64-bit numbers as
/// strings, zero values left out. Answers are ones etcd 3.4.23 gave.
@Suite(.tags(.unit)) struct GatewayJSONTests {
    private func json(_ value: some Encodable) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(EtcdJSON.encode(value))) as? [String: Any])
    }

    @Test func putEncodesBase64AndLeaseAsString() throws {
        let body = try json(EtcdPutRequest("/vfleet/log/head", "7", lease: 7_587_869_427_049_281_834, previous: true))
        #expect(body["key"] as? String == Data("/vfleet/log/head".utf8).base64EncodedString())
        #expect(body["value"] as? String == "Nw==")
        #expect(body["lease"] as? String == "7587869427049281834")
        #expect(body["prev_kv"] as? Bool == true)
    }

    @Test func zeroValuesAreLeftOut() throws {
        let body = try json(EtcdRangeRequest(.key("a")))
        #expect(body.keys.sorted() == ["key"])
        let put = try json(EtcdPutRequest("a", ""))
        #expect(put.keys.sorted() == ["key"])
    }

    @Test func prefixRangeEndIncrementsTheLastByte() {
        #expect(EtcdKeyRange.prefix("/vfleet/log/").end == Data("/vfleet/log0".utf8))
        #expect(EtcdKeyRange.prefix(Data([0x61, 0xff, 0xff])).end == Data([0x62]))
        #expect(EtcdKeyRange.prefix(Data([0xff])).end == Data([0]))
        #expect(EtcdKeyRange.prefix("").key == Data([0]))
        #expect(EtcdKeyRange.prefix("").end == Data([0]))
    }

    @Test func rangeWithPrefixLimitAndRevision() throws {
        let body = try json(EtcdRangeRequest(.prefix("/a/"), limit: 10, revision: 42, keysOnly: true))
        #expect(body["key"] as? String == "L2Ev")
        #expect(body["range_end"] as? String == "L2Ew")
        #expect(body["limit"] as? String == "10")
        #expect(body["revision"] as? String == "42")
        #expect(body["keys_only"] as? Bool == true)
    }

    @Test func compareOnAnAbsentKeyKeepsItsZero() throws {
        // "create_revision = 0" says "the key does not exist": dropping the
        // zero would leave etcd comparing nothing.
        let body = try json(EtcdCompare("/log/1", .equal, .createRevision(0)))
        #expect(body["target"] as? String == "CREATE")
        #expect(body["result"] as? String == "EQUAL")
        #expect(body["create_revision"] as? String == "0")
    }

    @Test func txnEncodesCompareAndBothBranches() throws {
        let txn = EtcdTxnRequest(
            compare: [EtcdCompare("head", .equal, .modRevision(5)), EtcdCompare("v", .notEqual, .value(Data("x".utf8)))],
            success: [.put(EtcdPutRequest("head", "6")), .delete(EtcdDeleteRequest(.prefix("tmp/")))],
            failure: [.range(EtcdRangeRequest(.key("head")))])
        let body = try json(txn)
        let compare = try #require(body["compare"] as? [[String: Any]])
        #expect(compare.count == 2)
        #expect(compare[0]["target"] as? String == "MOD")
        #expect(compare[0]["mod_revision"] as? String == "5")
        #expect(compare[1]["result"] as? String == "NOT_EQUAL")
        #expect(compare[1]["value"] as? String == "eA==")
        let success = try #require(body["success"] as? [[String: Any]])
        #expect((success[0]["request_put"] as? [String: Any])?["value"] as? String == "Ng==")
        #expect((success[1]["request_delete_range"] as? [String: Any])?["range_end"] as? String == "dG1wMA==")
        let failure = try #require(body["failure"] as? [[String: Any]])
        #expect(failure[0]["request_range"] != nil)
        #expect(!txn.isReadOnly)
        #expect(EtcdTxnRequest(compare: [], success: [.range(EtcdRangeRequest(.key("a")))]).isReadOnly)
    }

    @Test func watchAndLeaseBodies() throws {
        let watch = try json(WatchCreateBody(range: .prefix("/l/"), startRevision: 3, previousValues: true))
        let create = try #require(watch["create_request"] as? [String: Any])
        #expect(create["start_revision"] as? String == "3")
        #expect(create["range_end"] as? String == "L2ww")
        #expect(create["prev_kv"] as? Bool == true)
        #expect(try json(LeaseGrantBody(ttl: 5))["TTL"] as? String == "5")
        #expect(try json(LeaseIDBody(id: -2))["ID"] as? String == "-2")
    }

    @Test func decodesARangeAnswerWithStringNumbers() throws {
        let answer = """
            {"header":{"cluster_id":"15118495548433857066","member_id":"13668033151171901709","revision":"3","raft_term":"2"},\
            "kvs":[{"key":"YQ==","create_revision":"2","mod_revision":"3","version":"2","value":"Mg=="}],"count":"1"}
            """
        let result = try EtcdJSON.decoder.decode(EtcdRangeResult.self, from: Data(answer.utf8))
        #expect(result.header.clusterID == 15_118_495_548_433_857_066)
        #expect(result.header.revision == 3)
        #expect(result.count == 1)
        #expect(!result.more)
        let kv = try #require(result.kvs.first)
        #expect(kv.keyString == "a")
        #expect(kv.valueString == "2")
        #expect(kv.createRevision == 2 && kv.modRevision == 3 && kv.version == 2 && kv.lease == 0)
    }

    @Test func decodesAnEmptyRangeAndATxnAnswer() throws {
        let empty = #"{"header":{"cluster_id":"1","member_id":"2","revision":"3","raft_term":"2"}}"#
        let range = try EtcdJSON.decoder.decode(EtcdRangeResult.self, from: Data(empty.utf8))
        #expect(range.kvs.isEmpty && range.count == 0)
        let txn = #"{"header":{"revision":"4"},"succeeded":true,"responses":[{"response_put":{"header":{"revision":"4"}}},{"response_range":{"header":{},"kvs":[{"key":"YQ==","value":"MQ==","mod_revision":"4"}],"count":"1"}}]}"#
        let result = try EtcdJSON.decoder.decode(EtcdTxnResult.self, from: Data(txn.utf8))
        #expect(result.succeeded)
        #expect(result.responses.count == 2)
        guard case .put(let put) = result.responses[0], case .range(let read) = result.responses[1] else {
            Issue.record("unexpected responses \(result.responses)")
            return
        }
        #expect(put.header.revision == 4)
        #expect(read.kvs.first?.modRevision == 4)
        let failed = try EtcdJSON.decoder.decode(EtcdTxnResult.self, from: Data(#"{"header":{"revision":"9"}}"#.utf8))
        #expect(!failed.succeeded)
    }

    @Test func decodesLeaseStatusMembersAndWatchMessages() throws {
        let lease = try EtcdJSON.decoder.decode(EtcdLease.self, from: Data(#"{"header":{},"ID":"4111120473281583370","TTL":"5"}"#.utf8))
        #expect(lease == EtcdLease(id: 4_111_120_473_281_583_370, ttl: 5))
        let gone = try EtcdJSON.decoder.decode(KeepAliveAnswer.self, from: Data(#"{"result":{"header":{},"ID":"7"}}\#n"#.utf8))
        #expect(gone.result?.ttl == 0)
        let status = try EtcdJSON.decoder.decode(EtcdStatus.self, from: Data("""
            {"header":{"member_id":"13668033151171901709","revision":"4"},"version":"3.4.23","dbSize":"20480",\
            "leader":"13668033151171901709","raftIndex":"8","raftTerm":"2","raftAppliedIndex":"8","dbSizeInUse":"16384"}
            """.utf8))
        #expect(status.isLeader && status.version == "3.4.23" && status.dbSize == 20480 && status.raftIndex == 8)
        let members = try EtcdJSON.decoder.decode(EtcdMemberList.self, from: Data("""
            {"header":{},"members":[{"ID":"13668033151171901709","name":"p","peerURLs":["http://127.0.0.1:23801"],"clientURLs":["http://127.0.0.1:23791"]}]}
            """.utf8))
        #expect(members.members.first?.id == 13_668_033_151_171_901_709)
        #expect(members.members.first?.clientURLs == ["http://127.0.0.1:23791"])
        let watch = try EtcdJSON.decoder.decode(EtcdWatchResponse.self, from: Data("""
            {"result":{"header":{"revision":"6"},"events":[{"kv":{"key":"YQ==","create_revision":"5","mod_revision":"5","version":"1","value":"MQ=="}},\
            {"type":"DELETE","kv":{"key":"Yg==","mod_revision":"6"}}]}}
            """.utf8))
        let events = try #require(watch.result?.events)
        #expect(events.map(\.kind) == [.put, .delete])
        #expect(events.map(\.revision) == [5, 6])
        let compacted = try EtcdJSON.decoder.decode(EtcdWatchResponse.self, from: Data(#"{"result":{"canceled":true,"compact_revision":"12"}}"#.utf8))
        #expect(compacted.result?.compactRevision == 12)
    }

    @Test func decodesTheGatewaysErrorBody() throws {
        let body = #"{"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5}"#
        let error = try EtcdJSON.decoder.decode(GatewayErrorBody.self, from: Data(body.utf8))
        #expect(error.code == 5)
        #expect(error.text == "etcdserver: requested lease not found")
        let refusal = EtcdClient.refusal(endpoint: EtcdEndpoint(host: "127.0.0.1", port: 2379), what: "put of a", status: 404, code: 5, message: error.text)
        #expect(refusal.kind == .leaseNotFound)
    }
}
