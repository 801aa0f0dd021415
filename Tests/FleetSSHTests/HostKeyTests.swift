import FleetSSH
import FleetTestSupport
import Foundation
import Testing

@Suite(.tags(.root)) struct HostKeyTests {
    @Test func strictRefusesAnUnknownHostAndWritesNothing() throws {
        try withSSHServer { server in
            #expect {
                try server.connect(policy: .strict)
            } throws: { error in
                let sshError = error as? SSHError
                return sshError?.kind == .hostKeyUnknown
                    && sshError?.message.contains(try! server.hostKeyFingerprint()) == true
            }
            #expect(!FileManager.default.fileExists(atPath: server.knownHosts))

            // An existing file without this host stays byte-for-byte the same.
            let other = "[10.9.9.9]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEfhtsaBTvJb6zixE2EaFLvQb5dgXcIh5yJPSdoPTEcW\n"
            try other.write(toFile: server.knownHosts, atomically: true, encoding: .utf8)
            #expect {
                try server.connect(policy: .strict)
            } throws: { ($0 as? SSHError)?.kind == .hostKeyUnknown }
            #expect(try String(contentsOfFile: server.knownHosts, encoding: .utf8) == other)
        }
    }

    @Test func acceptNewRecordsTheKeyThenStrictSucceeds() throws {
        try withSSHServer { server in
            let first = try server.connect(policy: .acceptNew)
            let recorded = try String(contentsOfFile: server.knownHosts, encoding: .utf8)
            #expect(recorded.hasPrefix("[127.0.0.1]:\(server.port) ssh-ed25519 "))
            let hostPublicKey = try String(contentsOfFile: server.hostKey + ".pub", encoding: .utf8).split(separator: " ")[1]
            #expect(recorded.contains(hostPublicKey))
            let attributes = try FileManager.default.attributesOfItem(atPath: server.knownHosts)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)

            let second = try server.connect(policy: .strict)
            #expect(second.hostKeyFingerprint == first.hostKeyFingerprint)
            #expect(try second.exec("echo ok").readLine(timeout: 5) == "ok")
            // Known keys are not appended again.
            _ = try server.connect(policy: .acceptNew)
            #expect(try String(contentsOfFile: server.knownHosts, encoding: .utf8) == recorded)
        }
    }

    @Test func acceptNewCreatesMissingDirectories() throws {
        try withSSHServer { server in
            let nested = server.directory.file("controller/state/known_hosts")
            let session = try SSHSession(
                endpoint: server.endpoint(knownHostsFile: nested), options: SSHOptions(policy: .acceptNew))
            #expect(session.isConnected)
            #expect(try String(contentsOfFile: nested, encoding: .utf8).contains("[127.0.0.1]:\(server.port)"))
        }
    }

    @Test func changedHostKeyIsRefusedUnderBothPolicies() throws {
        try withSSHServer { server in
            _ = try server.connect(policy: .acceptNew)
            let recorded = try String(contentsOfFile: server.knownHosts, encoding: .utf8)
            try server.restartWithNewHostKey()
            let newFingerprint = try server.hostKeyFingerprint()

            for policy in [HostKeyPolicy.strict, .acceptNew] {
                #expect {
                    try server.connect(policy: policy)
                } throws: { error in
                    guard let sshError = error as? SSHError else { return false }
                    return sshError.kind == .hostKeyChanged
                        && sshError.message.contains("changed")
                        && sshError.message.contains("man-in-the-middle")
                        && sshError.message.contains("vfleet host forget-key")
                        && sshError.message.contains("ssh-keygen -R '[127.0.0.1]:\(server.port)'")
                        && sshError.message.contains(newFingerprint)
                }
            }
            #expect(try String(contentsOfFile: server.knownHosts, encoding: .utf8) == recorded)
        }
    }

    @Test func recordedKeyOfAnotherTypeCountsAsChanged() throws {
        try withSSHServer { server in
            let other = server.directory.file("other_ecdsa")
            try Shell.run("/usr/bin/ssh-keygen", ["-q", "-t", "ecdsa", "-N", "", "-f", other])
            let publicKey = try String(contentsOfFile: other + ".pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
            try FileManager.default.createDirectory(
                atPath: (server.knownHosts as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try "[127.0.0.1]:\(server.port) \(publicKey)\n".write(toFile: server.knownHosts, atomically: true, encoding: .utf8)
            for policy in [HostKeyPolicy.strict, .acceptNew] {
                #expect {
                    try server.connect(policy: policy)
                } throws: { ($0 as? SSHError)?.kind == .hostKeyChanged }
            }
        }
    }
}
