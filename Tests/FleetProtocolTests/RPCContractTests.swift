import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

/// The typed contract keeps the wire as it was: names, order, bulk methods,
/// and answers matched to their request by id whatever the key order.
@Suite(.tags(.unit)) struct RPCContractTests {
    @Test func theContractHasTheNamesOfProtocolVersionOne() {
        #expect(RPCMethod.all == ["hello", "check", "template.list", "template.build", "template.import", "template.remove", "template.receive",
                                  "guest.create", "guest.start", "guest.stop", "guest.restart", "guest.destroy", "guest.exec",
                                  "guest.list", "guest.status", "guest.export", "guest.import", "guest.manifest", "guest.digest", "guest.prehash",
                                  "guest.receiver-manifest",
                                  "guest.adopt", "guest.stage", "guest.discard-staging",
                                  "transfer.key", "transfer.listen", "transfer.send", "transfer.wait", "transfer.progress",
                                  "transfer.listen-template", "transfer.send-template", "transfer.wait-template",
                                  "replica.listen", "replica.send", "replica.wait", "replica.show", "replica.drop", "replica.promote",
                                  "replica.list", "replica.relay-send", "replica.relay-receive"])
        #expect(Set(RPCMethod.all).count == RPCMethod.all.count)
        #expect(RPC.method(named: "guest.start") is RPC.GuestStart.Type)
        #expect(RPC.method(named: "guest.teleport") == nil)
    }

    @Test func paramsEncodeAsBefore() throws {
        let data = try RPCCoding.encoder.encode(RPC.GuestStop(name: "web1", timeoutSeconds: 5).params)
        #expect(String(decoding: data, as: UTF8.self) == #"{"name":"web1","timeoutSeconds":5}"#)
        #expect(String(decoding: try RPCCoding.encoder.encode(EmptyResult()), as: UTF8.self) == "{}")
    }

    @Test func theResponseIdIsReadAsAValueWhateverTheKeyOrder() throws {
        for line in [#"{"id":7,"result":{}}"#, #"{"result":{},"id":7}"#, #"{"error":{"code":"failed","message":"x"},"id":7}"#] {
            #expect(try RPCCoding.decoder.decode(RPCResponseId.self, from: Data(line.utf8)).id == .number(7))
        }
        #expect(try RPCCoding.decoder.decode(RPCResponseId.self, from: Data(#"{"id":70,"result":{}}"#.utf8)).id != .number(7))
    }

    @Test func anAnswerDecodesIntoTheMethodsResultOrItsError() throws {
        let status = try TypedRPCResponse<RPC.GuestStart.Result>.decode(Data(#"{"id":2,"result":{"warnings":["w"]}}"#.utf8), host: "h1", method: RPC.GuestStart.name)
        #expect(status.warnings == ["w"])
        #expect(throws: FleetError.self) {
            try TypedRPCResponse<RPC.GuestStart.Result>.decode(Data(#"{"error":{"code":"not_found","message":"no guest web1"},"id":2}"#.utf8), host: "h1", method: RPC.GuestStart.name)
        }
        do {
            _ = try TypedRPCResponse<EmptyResult>.decode(Data(#"{"error":{"code":"not_found","message":"no guest web1"},"id":2}"#.utf8), host: "h1", method: "x")
            Issue.record("an error answer decoded as a result")
        } catch {
            #expect(error.message == "host h1: no guest web1")
            #expect(error.code == .notFound)
        }
    }
}
