import FleetTestSupport
import Foundation

/// Runs helper programs (ssh-keygen) for test setup.
enum Shell {
    /// Runs `executable` with `arguments`; returns stdout; throws with
    /// stderr on a non-zero exit.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let scratch = try TemporaryDirectory(prefix: "fleetssh-shell")
        defer { scratch.remove() }
        let child = try ChildProcess(executable, arguments, stdout: scratch.file("out"), stderr: scratch.file("err"))
        let code = child.wait()
        let out = (try? String(contentsOfFile: scratch.file("out"), encoding: .utf8)) ?? ""
        guard code == 0 else {
            let err = (try? String(contentsOfFile: scratch.file("err"), encoding: .utf8)) ?? ""
            throw FixtureError("\(executable) \(arguments.joined(separator: " ")) exited \(code): \(err)")
        }
        return out
    }

    /// A new passphrase-less ed25519 host key at `path` (+ ".pub").
    static func makeHostKey(_ path: String) throws {
        try run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "vfleet-test-host", "-f", path])
    }

    /// "SHA256:…" of a public key file, as ssh-keygen reports it.
    static func fingerprint(ofPublicKey path: String) throws -> String {
        let fields = try run("/usr/bin/ssh-keygen", ["-l", "-E", "sha256", "-f", path]).split(separator: " ")
        guard fields.count >= 2 else { throw FixtureError("unexpected ssh-keygen -l output for \(path)") }
        return String(fields[1])
    }
}
