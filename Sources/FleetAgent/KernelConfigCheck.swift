import FleetProtocol
import FleetSystem
import Foundation
import Glibc

/// The kernel configuration options vfleet needs, checked against a kernel
/// configuration file: the same list and the same verdicts as `kernel/check`
/// and `kernel/vfleet.config` (a test keeps the three equal).
///
/// A configuration answers what the kernel was *built* with, including
/// modules not loaded yet; `KernelChecker` probes what the running kernel
/// *has* (namespaces, mounted cgroups, file systems). Both are reported by
/// `vfleet-agent check`.
public enum KernelConfigCheck {
    /// Every option of kernel/vfleet.config, in its order: whether guests
    /// cannot run without it, and what vfleet uses it for.
    public static func requirements() -> [(option: String, required: Bool, purpose: String)] {
        list.map { (option: $0.0, required: $0.1, purpose: $0.2) }
    }

    private static let list: [(String, Bool, String)] = [
        // Namespaces
        ("CONFIG_NAMESPACES", true, "namespaces at all (every option below depends on it)"),
        ("CONFIG_UTS_NS", true, "a guest has its own hostname (uts namespace)"),
        ("CONFIG_IPC_NS", true, "a guest has its own System V IPC and POSIX message queues (ipc namespace)"),
        ("CONFIG_PID_NS", true, "a guest sees only its own processes; its init is PID 1 (pid namespace)"),
        ("CONFIG_NET_NS", true, "--net none (loopback only) and private networks (network namespace)"),
        ("CONFIG_USER_NS", false, "--userns guests (systemd's default): systemd with CAP_SYS_ADMIN inside"),
        // Control groups
        ("CONFIG_CGROUPS", true, "one cgroup per guest: accounting, limits, stopping every process"),
        ("CONFIG_MEMCG", true, "--memory limits and memory use (memory controller)"),
        ("CONFIG_CGROUP_PIDS", true, "--pids limits; a fork bomb stops at the limit (pids controller)"),
        ("CONFIG_CGROUP_SCHED", true, "the cpu controller for --cpus and --cpu-weight"),
        ("CONFIG_FAIR_GROUP_SCHED", true, "--cpu-weight (cpu.weight on v2, cpu.shares on v1)"),
        ("CONFIG_CFS_BANDWIDTH", true, "--cpus quotas (cpu.max on v2, cpu.cfs_quota_us on v1)"),
        ("CONFIG_CGROUP_CPUACCT", false, "cpu seconds of a guest on cgroup v1 hosts (v2 has cpu.stat)"),
        ("CONFIG_BLK_CGROUP", false, "--io-weight (io controller on v2, blkio on v1)"),
        ("CONFIG_BFQ_GROUP_IOSCHED", false, "--io-weight enforced by the BFQ I/O scheduler"),
        ("CONFIG_CGROUP_FREEZER", false, "later: freezing guests on cgroup v1 hosts (v2 has cgroup.freeze)"),
        ("CONFIG_CGROUP_DEVICE", false, "later: device access control for guests on cgroup v1 hosts"),
        ("CONFIG_CGROUP_BPF", false, "--net isolated (cgroup socket filters: bind, connect and sendmsg per guest)"),
        ("CONFIG_BPF_SYSCALL", false, "--net isolated (the bpf() system call that loads the socket filters)"),
        // File systems
        ("CONFIG_OVERLAY_FS", true, "guest roots: the template read-only below, the guest's changes above"),
        ("CONFIG_TMPFS", true, "a guest's /dev and /dev/shm"),
        ("CONFIG_PROC_FS", true, "/proc inside guests, and the agent's view of processes"),
        ("CONFIG_SYSFS", true, "a read-only /sys inside guests, and the cgroup file systems"),
        ("CONFIG_UNIX98_PTYS", true, "/dev/pts inside guests (devpts: terminals for enter and exec)"),
        // Networking
        ("CONFIG_VETH", false, "--net private (a veth pair per guest)"),
        ("CONFIG_BRIDGE", false, "--net private (guests' veths on a host bridge)"),
    ]

    /// The verdict for every option, from the text of a kernel configuration
    /// (`CONFIG_X=y`, `CONFIG_X=m`, `# CONFIG_X is not set`). `=y` and `=m`
    /// are present; anything else (absent, not set, `=n`) is missing, or
    /// optional for an option vfleet can run without.
    public static func check(configText: String) -> [KernelRequirement] {
        var values: [Substring: Substring] = [:]
        for line in configText.split(whereSeparator: \.isNewline) where line.hasPrefix("CONFIG_") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            values[line[..<eq]] = line[line.index(after: eq)...]
        }
        return list.map { option, required, purpose in
            let verdict: KernelRequirement.Verdict
            let detail: String?
            switch values[Substring(option)] {
            case "y": (verdict, detail) = (.present, nil)
            case "m": (verdict, detail) = (.present, "module")
            case let v?: (verdict, detail) = (required ? .missing : .optional, "=\(v)")
            case nil: (verdict, detail) = (required ? .missing : .optional, "not set")
            }
            return KernelRequirement(name: "kernel config: \(option)", verdict: verdict, purpose: purpose, detail: detail)
        }
    }

    /// The running kernel's configuration file, where `kernel/check` looks:
    /// /proc/config.gz, else /boot/config-$(uname -r); nil if neither is readable.
    public static func findConfig() -> String? {
        findConfig(in: ["/proc/config.gz", "/boot/config-\(KernelChecker.release())"])
    }

    /// The first readable file of `candidates` (findConfig() with its own list).
    public static func findConfig(in candidates: [String]) -> String? {
        candidates.first { access($0, R_OK) == 0 }
    }

    /// The text of a configuration file, gzip-compressed (/proc/config.gz) or plain.
    public static func readConfig(at path: String) throws(FleetError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .notFound("cannot read the kernel configuration \(path)")
        }
        guard data.starts(with: [0x1f, 0x8b]) else { return String(decoding: data, as: UTF8.self) }
        let out: SubprocessOutput
        do { out = try Subprocess.run(["gzip", "-dc", path]) } catch {
            throw .failed("cannot run gzip to read \(path): \(error.reason) (apt-get install gzip)")
        }
        guard out.status == 0 else { throw .failed("cannot decompress the kernel configuration \(path)") }
        return out.stdoutText
    }

    /// What `vfleet-agent check` adds to its live probes: every option
    /// checked against this host's configuration file. Without a readable
    /// file (kernel/check exits 2 then) one optional line says so: the live
    /// probes above it still decide.
    public static func hostRequirements() -> [KernelRequirement] {
        guard let path = findConfig() else {
            return [KernelRequirement(name: "kernel config", verdict: .optional,
                                      purpose: "the build options vfleet needs (kernel/vfleet.config)",
                                      detail: "no /proc/config.gz or /boot/config-\(KernelChecker.release()); 'modprobe configs' may provide it")]
        }
        do {
            let text = try readConfig(at: path)
            return [KernelRequirement(name: "kernel config", verdict: .present,
                                      purpose: "the build options vfleet needs (kernel/vfleet.config), as below", detail: path)]
                + check(configText: text)
        } catch {
            return [KernelRequirement(name: "kernel config", verdict: .optional,
                                      purpose: "the build options vfleet needs (kernel/vfleet.config)", detail: error.message)]
        }
    }
}
