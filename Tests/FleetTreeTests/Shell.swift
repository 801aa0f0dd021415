import Foundation

/// Runs shell commands (system `tar`, compressors) to build test fixtures.
enum Shell {
    /// Runs `command` with /bin/sh and returns its stdout; throws on a non-zero exit.
    @discardableResult
    static func run(_ command: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Fixtures print little, so reading after exit cannot fill a pipe.
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("`\(command)` failed: \(String(decoding: errorData, as: UTF8.self))")
        }
        return String(decoding: outputData, as: UTF8.self)
    }

    static let isRoot = geteuid() == 0

    /// Whether this environment lets us create device nodes (root without CAP_MKNOD cannot).
    static let canMakeDeviceNodes: Bool = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("FleetTree-mknod-\(UUID().uuidString)").path
        defer { unlink(path) }
        return mknod(path, S_IFCHR | 0o600, dev_t(0x103) /* 1,3 */) == 0
    }()
}
