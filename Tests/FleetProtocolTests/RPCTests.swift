import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

@Suite(.tags(.unit)) struct RPCTests {
    @Test func parsesARequest() throws {
        let r = try RPCRequest.parse(#"{"id":7,"method":"guest.start","params":{"name":"web1"}}"#).get()
        #expect(r.id == .number(7))
        #expect(r.method == "guest.start")
        let p = try NameParams.decode(r.params, method: r.method)
        #expect(p.name == "web1")
    }

    @Test func stringIdsAreEchoed() throws {
        let r = try RPCRequest.parse(#"{"id":"a-1","method":"hello"}"#).get()
        #expect(r.id == .string("a-1"))
        let line = RPCResponse(id: r.id, error: .notFound("x")).line()
        #expect(line.contains(#""id":"a-1""#))
    }

    @Test(arguments: ["not json", "[1,2]", #"{"id":1}"#, #"{"id":1,"method":5}"#, #"{"id":1,"method":"hello","extra":1}"#,
                      #"{"id":1,"method":"hello","params":[1]}"#, ""])
    func malformedRequestsAreRefused(_ line: String) {
        switch RPCRequest.parse(line) {
        case .success: Issue.record("accepted \(line)")
        case .failure(let fault):
            #expect(fault.error.code == .invalidArgument)
            #expect(fault.error.message.hasPrefix("malformed request"))
        }
    }

    @Test func idIsRecoveredFromABadRequest() {
        guard case .failure(let fault) = RPCRequest.parse(#"{"id":9,"method":"hello","bogus":true}"#) else {
            Issue.record("accepted")
            return
        }
        #expect(fault.id == .number(9))
        #expect(fault.error.message.contains("\"bogus\""))
    }

    @Test func unknownParamsAreRefused() {
        let params = JSONValue.object(["name": .string("web1"), "nmae": .string("x")])
        #expect(throws: FleetError.self) { try NameParams.decode(params, method: "guest.start") }
        do { _ = try NameParams.decode(params, method: "guest.start") } catch {
            #expect(error.message.contains("unknown parameter \"nmae\""))
        }
    }

    @Test func missingAndMistypedParams() {
        do { _ = try NameParams.decode(.object([:]), method: "guest.start"); Issue.record("accepted") } catch {
            #expect(error.message.contains("missing parameter \"name\""))
        }
        do { _ = try NameParams.decode(.object(["name": .number(3)]), method: "guest.start"); Issue.record("accepted") } catch {
            #expect(error.message.contains("wrong type"))
        }
    }

    /// Every key a params type encodes must be in its `fields`, or strict
    /// decoding would refuse what the client library itself sends.
    @Test func fieldListsMatchTheTypes() throws {
        func keys<T: Encodable>(_ v: T) throws -> Set<String> {
            guard case .object(let o) = try JSONValue.from(v) else { return [] }
            return Set(o.keys)
        }
        #expect(try keys(HelloParams(protocolVersion: 1, client: "x", facts: true)) == HelloParams.fields)
        #expect(try keys(NameParams(name: "a")) == NameParams.fields)
        #expect(try keys(TemplateBuildParams(kind: "busybox", name: "a")) == TemplateBuildParams.fields)
        #expect(try keys(TemplateImportParams(name: "a", path: "/x")) == TemplateImportParams.fields)
        #expect(try keys(GuestCreateParams(spec: GuestSpec(name: "a", template: "b"))) == GuestCreateParams.fields)
        #expect(try keys(GuestStopParams(name: "a", timeoutSeconds: 1)) == GuestStopParams.fields)
        #expect(try keys(GuestDestroyParams(name: "a", force: true)) == GuestDestroyParams.fields)
        #expect(try keys(GuestExecParams(name: "a", argv: ["x"], stdin: "", timeoutSeconds: 1, env: [])) == GuestExecParams.fields)
    }

    @Test func responsesRoundTrip() throws {
        let ok = RPCResponse(id: .number(1), result: .object(["a": .number(1)]))
        let decoded = try JSONDecoder().decode(RPCResponse.self, from: Data(ok.line().utf8))
        #expect(decoded == ok)
        #expect(!ok.line().contains("\n"))
    }
}
