import FleetSSH
import FleetTestSupport
import Foundation
import Testing

@Suite(.tags(.root)) struct SecretHygieneTests {
    /// The base64 body lines of a private key file: what must never leak.
    private func secretLines(of path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8)
            .split(separator: "\n")
            .filter { !$0.hasPrefix("-----") && $0.count >= 16 }
            .map(String.init)
    }

    @Test func errorMessagesNeverContainPrivateKeyMaterial() throws {
        try withSSHServer { server in
            let stranger = server.directory.file("stranger/id_ed25519")
            try SSHKeys.generateEd25519(at: stranger, comment: "stranger")
            var messages: [String] = []
            func collect(_ body: () throws -> Void) {
                do { try body() } catch { messages.append("\(error)") }
            }
            collect { _ = try server.connect(policy: .strict) }                     // unknown host key
            collect { _ = try server.connect(identityFile: stranger) }              // refused key
            let publicAsPrivate = server.clientKey + ".pub"
            collect { _ = try server.connect(identityFile: publicAsPrivate) }       // not a private key
            collect { _ = try SSHKeys.generateEd25519(at: server.clientKey, comment: "x") }  // exists
            try server.restartWithNewHostKey()
            collect { _ = try server.connect(policy: .strict) }                     // changed host key

            #expect(messages.count == 5)
            let secrets = try secretLines(of: server.clientKey) + secretLines(of: stranger)
            #expect(!secrets.isEmpty)
            for message in messages {
                #expect(!message.contains("PRIVATE KEY"))
                for secret in secrets { #expect(!message.contains(secret)) }
            }
        }
    }
}
