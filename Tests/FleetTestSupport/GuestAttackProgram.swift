import Foundation

/// The static C program the isolation tests attack from inside a guest
/// with (Tests/probes/guest-probe.c): system calls busybox has no applet
/// for. Compiled once per test process with `cc -static` (gcc and
/// libc6-dev, see scripts/install-deps); copied into a guest's layer, or
/// handed to a guest as base64 on stdin (through the controller too).
///
/// Escape subcommands: `shocker`, `ptrace-watch SECONDS`, `syscalls NR…`,
/// `userns`, `keyring` (see the file). Network and per-user subcommands,
/// each printing one line per outcome:
/// - `listen`: listen() on an unbound TCP socket, print "listening PORT",
///   then accept for 20 s printing "accepted";
/// - `udp HOST PORT`: sendto() from a fresh unbound socket ("sent" or
///   "send err ERRNO"), then connect() that socket ("connect ok ADDR" or
///   "connect err ERRNO");
/// - `unix NAME`: connect to the abstract unix socket NAME ("connected" or
///   "err ERRNO");
/// - `inotify`: inotify_init1 until it fails ("made N then err ERRNO"),
///   holding them for 5 s.
/// ERRNO is the symbolic name, e.g. EPERM.
public enum GuestAttackProgram {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    static let sourcePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("probes/guest-probe.c").path

    nonisolated(unsafe) private static var built: String?
    private static let lock = NSLock()

    /// The compiled program's path (compiled on first use, kept for the
    /// test process; each process has its own).
    public static func binary() throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let built { return built }
        let out = outputPath()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["cc", "-static", "-Os", "-s", "-o", out, sourcePath]
        let err = Pipe()
        p.standardError = err
        try p.run()
        let text = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw Failure(description: "cc -static \(sourcePath) failed (install gcc and libc6-dev: scripts/install-deps): \(String(decoding: text, as: UTF8.self))")
        }
        built = out
        // Removed when the test process ends.
        atexit { unlink(GuestAttackProgram.outputPath()) }
        return out
    }

    static func outputPath() -> String { "/tmp/vfattack-\(getpid())" }

    /// The compiled program as base64 text.
    public static func base64() throws -> String {
        try Data(contentsOf: URL(fileURLWithPath: try binary())).base64EncodedString()
    }

    /// The shell line that installs the program as /bin/vfattack from base64 on stdin.
    public static let installScript = "base64 -d > /bin/vfattack && chmod 755 /bin/vfattack"
}
