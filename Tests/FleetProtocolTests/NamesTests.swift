import FleetProtocol
import FleetTestSupport
import Testing

@Suite(.tags(.unit)) struct NamesTests {
    @Test(arguments: ["web1", "a", "0", "db-2", String(repeating: "a", count: 63)])
    func acceptsValidNames(_ name: String) throws {
        #expect(Names.isValid(name))
        try Names.validate(name, kind: "guest")
    }

    @Test(arguments: ["../x", "A", "Web1", "-web", "", "web_1", "web.1", "we b", "x/y", "é", String(repeating: "a", count: 64)])
    func refusesInvalidNames(_ name: String) {
        #expect(!Names.isValid(name))
        #expect(throws: FleetError.self) { try Names.validate(name, kind: "guest") }
    }

    @Test func errorSaysWhy() {
        do {
            try Names.validate(String(repeating: "a", count: 64), kind: "guest")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("64 characters"))
            #expect(error.message.contains("at most 63"))
        }
        do {
            try Names.validate("../x", kind: "template")
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("invalid template name \"../x\""))
        }
    }

    @Test func hostnames() throws {
        try Names.validateHostname("web1.example.org")
        #expect(throws: FleetError.self) { try Names.validateHostname("bad host") }
        #expect(throws: FleetError.self) { try Names.validateHostname("") }
    }
}
