import FleetSystem
import Foundation

/// Runs shell commands (system `tar`, compressors) to build test fixtures.
enum Shell {
    /// Runs `command` with /bin/sh and returns its stdout; throws on a non-zero exit.
    @discardableResult
    static func run(_ command: String) throws -> String {
        let out = try Subprocess.run(["/bin/sh", "-c", command])
        guard out.status == 0 else { throw TestFailure("`\(command)` failed: \(out.stderrText)") }
        return out.stdoutText
    }

    static let isRoot = geteuid() == 0

    /// Whether this environment lets us create device nodes (root without CAP_MKNOD cannot).
    static let canMakeDeviceNodes: Bool = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("FleetTree-mknod-\(UUID().uuidString)").path
        defer { unlink(path) }
        return mknod(path, S_IFCHR | 0o600, dev_t(0x103) /* 1,3 */) == 0
    }()
}
