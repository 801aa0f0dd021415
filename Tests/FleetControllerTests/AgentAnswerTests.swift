@testable import FleetController
import FleetProtocol
import FleetTestSupport
import Testing

/// A call's answer is the line whose id, read as a value, is the request's:
/// whatever order the keys come in, and never a late answer to an earlier
/// call (that would pair a request with another's result).
@Suite(.tags(.unit)) struct AgentAnswerTests {
    @Test(arguments: [#"{"id":7,"result":{}}"#, #"{"result":{},"id":7}"#, #"{"error":{"code":"failed","message":"no"},"id":7}"#,
                      #"{"error":{"message":"no","code":"failed"},"id":7}"#])
    func theAnswerToTheRequestIsTaken(line: String) throws {
        #expect(try AgentChannel.answer(line, to: "guest.start", id: 7, host: "h1") == line)
    }

    @Test(arguments: [#"{"id":6,"result":{}}"#, #"{"id":70,"result":{}}"#, #"{"result":{"id":7}}"#, #"{"error":{"code":"invalid_argument","message":"malformed"}}"#,
                      #"{"id":"7","result":{}}"#])
    func aLineForAnotherRequestDropsTheSession(line: String) {
        do {
            _ = try AgentChannel.answer(line, to: "guest.start", id: 7, host: "h1")
            Issue.record("took \(line) as the answer to request 7")
        } catch {
            // Unreachable: the transport drops the session and reconnects.
            #expect(error.code == .unreachable)
            #expect(error.message.contains("guest.start") && error.message.contains("h1"))
        }
    }

    @Test func aClosedChannelOrNoJSONIsNoAnswer() {
        #expect(throws: FleetError.self) { try AgentChannel.answer(nil, to: "hello", id: 1, host: "h1") }
        #expect(throws: FleetError.self) { try AgentChannel.answer("ok", to: "hello", id: 1, host: "h1") }
    }
}
