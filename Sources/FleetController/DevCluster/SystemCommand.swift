import FleetProtocol
import Foundation

/// Runs the system tools the test cluster is built with (ip, ssh-keygen,
/// sshd) and turns a failure into an error that shows the command and its output.
enum SystemCommand {
    @discardableResult
    static func run(_ argv: [String], allowFailure: Bool = false) throws(FleetError) -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0].hasPrefix("/") ? argv[0] : "/usr/bin/env")
        p.arguments = argv[0].hasPrefix("/") ? Array(argv.dropFirst()) : argv
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { throw .failed("cannot run \(argv[0]): \(error.localizedDescription)") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        if p.terminationStatus != 0 && !allowFailure {
            throw .failed("`\(argv.joined(separator: " "))` failed: \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return text
    }
}
