import FleetSSH
import FleetTestSupport
import Foundation
import Testing

@Suite(.tags(.unit)) struct SSHKeysTests {
    @Test func generatesAnEd25519PairOpenSSHAccepts() throws {
        let directory = try TemporaryDirectory(prefix: "fleetssh-keys")
        defer { directory.remove() }
        let path = directory.file("nested/dir/id_ed25519")

        try SSHKeys.generateEd25519(at: path, comment: "vfleet@controller")

        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let publicLine = try String(contentsOfFile: path + ".pub", encoding: .utf8)
        #expect(publicLine.hasPrefix("ssh-ed25519 AAAA"))
        #expect(publicLine.hasSuffix(" vfleet@controller\n"))
        #expect(try SSHKeys.publicKeyLine(privateKeyFile: path, comment: "vfleet@controller") + "\n" == publicLine)
        // OpenSSH itself reads the private key and derives the same public key.
        let derived = try Shell.run("/usr/bin/ssh-keygen", ["-y", "-f", path]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(derived.split(separator: " ").prefix(2) == publicLine.split(separator: " ").prefix(2))
    }

    @Test func publicKeyLineOfAnOpenSSHKeyMatchesSshKeygen() throws {
        let directory = try TemporaryDirectory(prefix: "fleetssh-keys")
        defer { directory.remove() }
        let path = directory.file("id_rsa")
        try Shell.run("/usr/bin/ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "x", "-f", path])
        let line = try SSHKeys.publicKeyLine(privateKeyFile: path, comment: "")
        let expected = try String(contentsOfFile: path + ".pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        #expect(line == expected)
    }

    @Test func refusesToOverwriteAnExistingKey() throws {
        let directory = try TemporaryDirectory(prefix: "fleetssh-keys")
        defer { directory.remove() }
        let path = directory.file("id_ed25519")
        try SSHKeys.generateEd25519(at: path, comment: "first")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect {
            try SSHKeys.generateEd25519(at: path, comment: "second")
        } throws: { ($0 as? SSHError)?.kind == .invalidArgument }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func unusableKeyFilesAreInvalidArguments() throws {
        let directory = try TemporaryDirectory(prefix: "fleetssh-keys")
        defer { directory.remove() }
        let missing = directory.file("missing")
        let garbage = directory.file("garbage")
        try "not a key\n".write(toFile: garbage, atomically: true, encoding: .utf8)
        for path in [missing, garbage] {
            #expect {
                try SSHKeys.publicKeyLine(privateKeyFile: path, comment: "")
            } throws: { error in
                let sshError = error as? SSHError
                return sshError?.kind == .invalidArgument && sshError?.message.contains(path) == true
            }
        }
        #expect(throws: SSHError.self) { try SSHKeys.generateEd25519(at: directory.file("k"), comment: "two\nlines") }
    }

    @Test func passphraseProtectedKeyIsRefusedWithoutPrompting() throws {
        let directory = try TemporaryDirectory(prefix: "fleetssh-keys")
        defer { directory.remove() }
        let path = directory.file("id_locked")
        let passphrase = "correct-horse-battery"
        try Shell.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-f", path])
        let pem = directory.file("id_locked_pem")
        try Shell.run("/usr/bin/ssh-keygen", ["-q", "-t", "ecdsa", "-m", "PEM", "-N", passphrase, "-f", pem])
        for keyPath in [path, pem] {
            #expect {
                try SSHKeys.publicKeyLine(privateKeyFile: keyPath, comment: "")
            } throws: { error in
                let message = (error as? SSHError)?.message ?? ""
                return message.contains("passphrase") && !message.contains(passphrase)
            }
        }
    }
}
