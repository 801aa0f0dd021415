import FleetTree
import Foundation
import Glibc
import Synchronization

/// One Debian root file system per test run: debootstrap runs at most once
/// per test process, into that run's own directory
/// (/var/tmp/vfleet-run-PID), which goes when the process ends. Tests copy
/// it into their own agents or controllers.
public enum DebianTestTemplate {
    /// sysvinit-core gives /sbin/init (sysvinit); systemd gives
    /// /lib/systemd/systemd next to it, so one tree boots both ways.
    public static let options = DebianBuildOptions(suite: "bookworm", variant: "minbase",
                                                   include: ["systemd", "sysvinit-core", "procps"])
    public static let systemdInit = ["/lib/systemd/systemd"]

    private static let built = Mutex<Result<String, DebianRootfsError>?>(nil)

    /// The root file system, built on first use.
    public static func rootfs() throws -> String {
        try built.withLock { state in
            if let state { return try state.get() }
            let result = Result<String, DebianRootfsError> { () throws(DebianRootfsError) -> String in try build() }
            state = result
            return try result.get()
        }
    }

    public static var runDirectory: String { "/var/tmp/vfleet-run-\(getpid())" }

    private static func build() throws(DebianRootfsError) -> String {
        removeDirectoriesOfEndedRuns()
        let dir = runDirectory
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: DebianTestTemplate.runDirectory) }
        let rootfs = dir + "/debian"
        try DebianRootfs.build(at: rootfs, options: options, logPath: dir + "/debootstrap.log")
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
