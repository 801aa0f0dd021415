import FleetSSH
import FleetTestSupport
import Foundation
import Testing

@Suite(.tags(.root)) struct ConnectFailureTests {
    private func endpoint(port: Int, directory: TemporaryDirectory) -> SSHEndpoint {
        SSHEndpoint(
            host: "127.0.0.1", port: port, identityFile: directory.file("id_ed25519"),
            knownHostsFile: directory.file("known_hosts"))
    }

    @Test func closedPortFailsFastWithConnect() throws {
        let directory = try TemporaryDirectory(prefix: "fleetssh-connect")
        defer { directory.remove() }
        try SSHKeys.generateEd25519(at: directory.file("id_ed25519"), comment: "t")
        let port = try LoopbackPort.free()
        let started = ContinuousClock.now
        #expect {
            try SSHSession(endpoint: endpoint(port: port, directory: directory))
        } throws: { error in
            let sshError = error as? SSHError
            return sshError?.kind == .connect
                && sshError?.message.contains("connection refused") == true
                && sshError?.message.contains("127.0.0.1:\(port)") == true
        }
        #expect(ContinuousClock.now - started < .seconds(1))
    }

    @Test func silentListenerTimesOutWithinTheConnectTimeout() throws {
        let directory = try TemporaryDirectory(prefix: "fleetssh-connect")
        defer { directory.remove() }
        try SSHKeys.generateEd25519(at: directory.file("id_ed25519"), comment: "t")
        let listener = try SilentListener()
        let started = ContinuousClock.now
        #expect {
            try SSHSession(
                endpoint: endpoint(port: listener.port, directory: directory), options: SSHOptions(connectTimeout: 1))
        } throws: { ($0 as? SSHError)?.kind == .timeout }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(900))
        #expect(elapsed < .seconds(5))
    }

    @Test func wrongClientKeyIsRefusedWithAuthentication() throws {
        try withSSHServer { server in
            let stranger = server.directory.file("stranger/id_ed25519")
            try SSHKeys.generateEd25519(at: stranger, comment: "stranger")
            #expect {
                try server.connect(identityFile: stranger)
            } throws: { error in
                let sshError = error as? SSHError
                return sshError?.kind == .authentication
                    && sshError?.message.contains(stranger) == true
                    && sshError?.message.contains("authorized_keys") == true
            }
        }
    }

    @Test func invalidEndpointsAreRejectedBeforeConnecting() throws {
        let directory = try TemporaryDirectory(prefix: "fleetssh-connect")
        defer { directory.remove() }
        try SSHKeys.generateEd25519(at: directory.file("id_ed25519"), comment: "t")
        var badPort = endpoint(port: 0, directory: directory)
        var badHost = endpoint(port: 22, directory: directory)
        badHost.host = "bad host"
        var missingKey = endpoint(port: 22, directory: directory)
        missingKey.identityFile = directory.file("nope")
        var percent = endpoint(port: 22, directory: directory)
        percent.knownHostsFile = directory.file("known_%d")
        badPort.user = "root"
        for candidate in [badPort, badHost, missingKey, percent] {
            #expect {
                try SSHSession(endpoint: candidate)
            } throws: { ($0 as? SSHError)?.kind == .invalidArgument }
        }
        #expect {
            try SSHSession(endpoint: endpoint(port: 22, directory: directory), options: SSHOptions(connectTimeout: .nan))
        } throws: { ($0 as? SSHError)?.kind == .invalidArgument }
    }
}
