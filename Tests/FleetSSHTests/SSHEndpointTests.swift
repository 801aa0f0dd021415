import FleetSSH
import FleetTestSupport
import Foundation
import Testing

@Suite(.tags(.unit)) struct SSHEndpointTests {
    @Test func parsesAddressForms() throws {
        #expect(try SSHEndpoint.parseAddress("10.0.0.5") == ("10.0.0.5", 22))
        #expect(try SSHEndpoint.parseAddress("10.0.0.5:2222") == ("10.0.0.5", 2222))
        #expect(try SSHEndpoint.parseAddress("node-7.fleet.example") == ("node-7.fleet.example", 22))
        #expect(try SSHEndpoint.parseAddress("node-7:22") == ("node-7", 22))
        #expect(try SSHEndpoint.parseAddress("[::1]:2200") == ("::1", 2200))
        #expect(try SSHEndpoint.parseAddress("[fe80::1%eth0]:22") == ("fe80::1%eth0", 22))
        #expect(try SSHEndpoint.parseAddress("[2001:db8::7]") == ("2001:db8::7", 22))
        #expect(try SSHEndpoint.parseAddress("2001:db8::7") == ("2001:db8::7", 22))
        #expect(try SSHEndpoint.parseAddress("  10.0.0.5:65535 ") == ("10.0.0.5", 65535))
    }

    @Test(arguments: [
        "", "   ", "host:", "host:0", "host:65536", "host:70000", "host:abc", "host:-1", "host:22x",
        "[::1", "[::1]x", "[::1]:", "[]:22", "[10.0.0.5]:22", "a b", "user@host", "host/path",
        "-oProxyCommand=x", "::1::2::3", "[fe80::1%]:22", "1:2:3",
    ])
    func rejectsGarbage(_ text: String) {
        #expect {
            try SSHEndpoint.parseAddress(text)
        } throws: { error in
            let sshError = error as? SSHError
            return sshError?.kind == .invalidArgument && sshError?.message.contains("ADDR:PORT") == true
        }
    }

    @Test func defaultsAndCodableRoundTrip() throws {
        let endpoint = SSHEndpoint(host: "10.0.0.5", identityFile: "/k/id", knownHostsFile: "/k/known_hosts")
        #expect(endpoint.port == 22)
        #expect(endpoint.user == "root")
        let decoded = try JSONDecoder().decode(SSHEndpoint.self, from: JSONEncoder().encode(endpoint))
        #expect(decoded == endpoint)
    }

    @Test func errorKindsAreStableStrings() throws {
        #expect(SSHError.Kind.hostKeyChanged.rawValue == "hostKeyChanged")
        let error = SSHError(kind: .timeout, message: "cannot read")
        #expect(error.description == "cannot read")
        #expect(try JSONDecoder().decode(SSHError.Kind.self, from: JSONEncoder().encode(SSHError.Kind.closed)) == .closed)
    }
}
