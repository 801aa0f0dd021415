import Foundation

/// Runs helper programs (ssh-keygen) for test setup.
enum Shell {
    /// Runs `executable` with `arguments`; returns stdout; throws with stderr
    /// on a non-zero exit.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError("\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(String(decoding: err, as: UTF8.self))")
        }
        return String(decoding: out, as: UTF8.self)
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
