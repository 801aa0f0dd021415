import FleetSystem
import Foundation

/// Runs the host's iproute2 (and nsenter, arping) for the plumbing of guest
/// networks: interface and address changes are rare, per start and stop,
/// and `ip` is the tool operators read and trust.
enum NetworkCommand {
    static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/sbin/ip"
    static let nsenter = ["/usr/bin/nsenter", "/bin/nsenter"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/nsenter"

    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    @discardableResult
    static func run(_ argv: [String], _ what: String, _ object: String, hint: String? = nil) throws(KernelError) -> String {
        let out = capture(argv)
        guard out.status == 0 else {
            let said = out.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            throw KernelError(what, object, errno: 0, hint: [said.isEmpty ? "\(argv[0]) exited with \(out.status)" : said, hint].compactMap { $0 }.joined(separator: "; "))
        }
        return out.stdout
    }

    static func capture(_ argv: [String]) -> Output {
        let out: SubprocessOutput
        do { out = try Subprocess.run(argv, timeout: .seconds(60)) } catch {
            return Output(status: 127, stdout: "", stderr: "cannot run \(argv[0]): \(error.reason)")
        }
        let stderr = out.timedOut ? "\(argv[0]) did not finish within 60 s and was killed" : out.stderrText
        return Output(status: out.status, stdout: out.stdoutText, stderr: stderr)
    }

    /// `ip ...` inside the network namespace of `pid`.
    static func ipIn(_ pid: pid_t, _ args: [String]) -> [String] {
        [nsenter, "--net=/proc/\(pid)/ns/net", "--", ip] + args
    }
}
