import FleetSystem
import Foundation
import Glibc
import Synchronization

/// One Debian template per test run: `vfleet-agent template build debian`
/// (so the command itself is tested) runs at most once per test process,
/// into that run's own directory (/var/tmp/vfleet-run-PID), which goes when
/// the process ends. Tests copy its root file system into their own agents
/// or controllers.
public enum DebianTestTemplate {
    /// sysvinit-core gives /sbin/init (sysvinit); systemd gives
    /// /lib/systemd/systemd next to it, so one tree boots both ways.
    public static let packages = ["systemd", "sysvinit-core", "procps"]
    public static let systemdInit = ["/lib/systemd/systemd"]

    public struct BuildFailure: Error, CustomStringConvertible {
        public let description: String
    }

    private static let built = Mutex<Result<String, BuildFailure>?>(nil)

    /// The template's root file system, built on first use by `agentBinary`.
    public static func rootfs(agentBinary: String) throws -> String {
        try built.withLock { state in
            if let state { return try state.get() }
            let result = Result<String, BuildFailure> { () throws(BuildFailure) -> String in try build(agentBinary) }
            state = result
            return try result.get()
        }
    }

    public static var runDirectory: String { "/var/tmp/vfleet-run-\(getpid())" }

    private static func build(_ agentBinary: String) throws(BuildFailure) -> String {
        removeDirectoriesOfEndedRuns()
        let agentRoot = runDirectory + "/agent"
        try? FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: DebianTestTemplate.runDirectory) }
        let out: SubprocessOutput
        do {
            out = try Subprocess.run([agentBinary, "template", "build", "debian", "deb", "--root", agentRoot,
                                      "--include", packages.joined(separator: ","), "--format", "json"])
        } catch { throw BuildFailure(description: "\(error)") }
        guard out.status == 0 else {
            throw BuildFailure(description: "vfleet-agent template build debian failed (\(out.status)): \(out.stderrText)")
        }
        let rootfs = agentRoot + "/templates/deb/rootfs"
        guard FileManager.default.fileExists(atPath: agentRoot + "/templates/deb/debootstrap.log") else {
            throw BuildFailure(description: "the template has no debootstrap.log next to its rootfs")
        }
        return rootfs
    }

    /// A run killed before its end leaves its directory; its pid is gone.
    private static func removeDirectoriesOfEndedRuns() {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: "/var/tmp")) ?? [] where name.hasPrefix("vfleet-run-") {
            guard let pid = Int32(name.dropFirst("vfleet-run-".count)), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? fm.removeItem(atPath: "/var/tmp/" + name)
        }
    }
}
