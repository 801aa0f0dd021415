import Glibc

/// Everything the kernel layer needs to boot one guest's init.
public struct GuestBootSpec: Sendable {
    /// Where the guest's root is mounted (inside the guest's own mount
    /// namespace only; the host never sees this mount).
    public var rootfs: String
    /// Overlay layers; nil means `rootfs` is already a complete tree.
    public var overlay: OverlayLayers?
    public var hostname: String
    /// The guest's console log: init's stdout/stderr and /dev/console.
    public var consoleLog: String
    /// How large the console log may grow (written by host root: a guest
    /// must not fill the host's disk with it).
    public var consoleLogCap = ConsoleLogCap()
    /// true: a network namespace of its own with only loopback.
    public var privateNetwork: Bool
    public var argv: [String]
    public var environment: [String]
    public var capabilities: CapabilitySet
    public var cgroup: GuestCgroup
    public var limits: CgroupLimits
    /// Isolated networking: attached to the guest's cgroup before its
    /// first process exists, so no socket of the guest ever escapes it.
    public var socketFilter: SocketAddressFilter?
    /// Runs with the pid of the new init while it still waits, before it
    /// execs (e.g. a veth moved into its network namespace).
    public var beforeRelease: (@Sendable (pid_t) throws(KernelError) -> Void)?
    /// A user namespace of its own (the template then reaches the guest
    /// as an idmapped mount); nil: the host's.
    public var userNamespace: UserNamespace?
    /// What a distribution's init expects: a tmpfs on /run and its own
    /// cgroup2 view on /sys/fs/cgroup (writable only with a user namespace).
    public var initMounts: Bool = false
    /// Installed just before init's exec (and inherited by everything it
    /// starts); nil: no filter (`--allow-syscall all`).
    public var seccomp: SyscallFilter?

    public init(rootfs: String, overlay: OverlayLayers?, hostname: String, consoleLog: String, privateNetwork: Bool,
                argv: [String], environment: [String], capabilities: CapabilitySet, cgroup: GuestCgroup, limits: CgroupLimits,
                socketFilter: SocketAddressFilter? = nil, beforeRelease: (@Sendable (pid_t) throws(KernelError) -> Void)? = nil) {
        self.socketFilter = socketFilter
        self.beforeRelease = beforeRelease
        self.rootfs = rootfs
        self.overlay = overlay
        self.hostname = hostname
        self.consoleLog = consoleLog
        self.privateNetwork = privateNetwork
        self.argv = argv
        self.environment = environment
        self.capabilities = capabilities
        self.cgroup = cgroup
        self.limits = limits
    }

    /// A guest init's oom_score_adj: far below its own processes', not
    /// immune (-1000 would make a memory cgroup of immune processes hang).
    public static let initOOMScoreAdjust = -500

    /// /proc paths made read-only inside a guest: writing them reaches the host kernel.
    public static let procReadOnly = ["/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs"]
    /// /proc paths hidden: they leak host memory, keys or timing.
    public static let procMasked = ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug",
                                    "/proc/kallsyms", "/proc/acpi", "/proc/scsi", "/proc/latency_stats"]
}

/// A console log's bound: `bytes` per file, and `files` older parts kept
/// beside it (console.log.1 …); at most bytes × (files + 1) in all.
public struct ConsoleLogCap: Sendable, Equatable, Codable {
    public var bytes: Int
    public var files: Int

    public init(bytes: Int = 1 << 20, files: Int = 2) {
        self.bytes = bytes
        self.files = files
    }
}

/// The layers of a guest's overlay root.
public struct OverlayLayers: Sendable, Equatable {
    public var lower: String
    public var upper: String
    public var work: String

    public init(lower: String, upper: String, work: String) {
        self.lower = lower
        self.upper = upper
        self.work = work
    }

    /// Overlay mount options. Commas and colons in paths would split the
    /// option string; vfleet's own paths never contain them (names are validated).
    public var mountOptions: String { "lowerdir=\(lower),upperdir=\(upper),workdir=\(work)" }
}
