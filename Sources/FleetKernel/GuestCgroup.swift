import FleetSystem
import Glibc

/// One guest's cgroup, present in every hierarchy of the host at the same
/// relative path (`vfleet/NAME`). v1, v2 and hybrid hosts look the same
/// from here.
public struct GuestCgroup: Sendable {
    public let layout: CgroupLayout
    /// Path below each hierarchy's mount point, e.g. "vfleet/web1".
    public let relativePath: String

    public init(layout: CgroupLayout, relativePath: String) {
        self.layout = layout
        self.relativePath = relativePath
    }

    public init(layout: CgroupLayout, guest: String) {
        self.init(layout: layout, relativePath: "vfleet/" + guest)
    }

    public func path(in hierarchy: CgroupHierarchy) -> String {
        hierarchy.mountPoint + "/" + relativePath
    }

    /// The cgroup.procs files a process writes itself into to join the guest.
    public var procsFiles: [String] {
        layout.hierarchies.map { path(in: $0) + "/cgroup.procs" }
    }

    /// Creates the cgroup everywhere (parents too) and enables the v2
    /// controllers the limits need.
    public func create(for limits: CgroupLimits) throws(KernelError) {
        let components = relativePath.split(separator: "/").map(String.init)
        for h in layout.hierarchies {
            var dir = h.mountPoint
            for c in components {
                dir += "/" + c
                try SysFile.makeDirectory(dir)
            }
            if h.version == 2 {
                try CgroupV2Files.enable(neededV2Controllers(limits, in: h), root: h.mountPoint, relative: components)
            }
        }
    }

    func neededV2Controllers(_ limits: CgroupLimits, in h: CgroupHierarchy) -> [String] {
        var wanted: [String] = []
        if limits.memoryBytes != nil { wanted.append("memory") }
        if limits.cpuMillis != nil || limits.cpuWeight != nil { wanted.append("cpu") }
        if limits.pids != nil { wanted.append("pids") }
        if limits.ioWeight != nil { wanted.append("io") }
        // Always account memory, cpu and pids where possible so that status can report usage.
        for c in ["memory", "cpu", "pids"] where !wanted.contains(c) { wanted.append(c) }
        return wanted.filter { h.controllers.contains($0) }
    }

    /// Writes the limits; returns warnings for limits this host cannot enforce
    /// but that are not worth refusing a start for (io weight without BFQ).
    @discardableResult
    public func apply(_ limits: CgroupLimits) throws(KernelError) -> [String] {
        var warnings: [String] = []
        for (controller, present) in [("memory", limits.memoryBytes != nil), ("cpu", limits.cpuMillis != nil || limits.cpuWeight != nil), ("pids", limits.pids != nil)]
        where present && layout.hierarchy(for: controller) == nil {
            throw KernelError("apply a \(controller) limit to", relativePath, errno: ENOTSUP,
                              hint: "this host has no \(controller) cgroup controller; enable it or drop the limit")
        }
        if limits.ioWeight != nil && layout.hierarchy(for: "io") == nil && layout.hierarchy(for: "blkio") == nil {
            warnings.append("io weight \(limits.ioWeight!) not applied: this host has no io or blkio cgroup controller")
        }
        for h in layout.hierarchies {
            let own = self.limits(enforcedBy: h, from: limits)
            guard own != CgroupLimits() else { continue }
            let p = path(in: h)
            if h.version == 2 {
                try CgroupV2Files.apply(own, at: p, controllers: h.controllers, warnings: &warnings)
            } else {
                try CgroupV1Files.apply(own, at: p, controllers: h.controllers, warnings: &warnings)
            }
        }
        return warnings
    }

    /// The part of `limits` that hierarchy `h` enforces: each controller is
    /// served by exactly one hierarchy (on hybrid hosts v1 unless v2 has it).
    func limits(enforcedBy h: CgroupHierarchy, from limits: CgroupLimits) -> CgroupLimits {
        func mine(_ controller: String) -> Bool { layout.hierarchy(for: controller) == h }
        var own = CgroupLimits()
        if mine("memory") { own.memoryBytes = limits.memoryBytes }
        if mine("cpu") {
            own.cpuMillis = limits.cpuMillis
            own.cpuWeight = limits.cpuWeight
        }
        if mine("pids") { own.pids = limits.pids }
        if mine("io") || (layout.hierarchy(for: "io") == nil && mine("blkio")) { own.ioWeight = limits.ioWeight }
        return own
    }

    /// Moves a process (and, on v2, all its threads) into the guest's cgroup.
    public func add(pid: pid_t) throws(KernelError) {
        for file in procsFiles {
            try SysFile.write(String(pid), to: file, hint: "cannot move pid \(pid) into the guest's cgroup")
        }
    }

    /// Most cgroups a guest may make below its delegated one, and how deep:
    /// systemd with a few dozen services uses tens, nested containers a few
    /// levels more; without a bound a guest could make them by the million.
    public static let delegatedDescendants = 1000
    public static let delegatedDepth = 32

    /// Hands the guest's v2 cgroup to a user namespace's root, as systemd
    /// expects of a container manager: it may make child cgroups (within
    /// `delegatedDescendants` and `delegatedDepth`) and move its processes
    /// between them. The limits' own files, those bounds included, stay the
    /// host's.
    public func delegate(toUID uid: UInt32, gid: UInt32) throws(KernelError) {
        guard let unified = layout.unified else { return }
        let dir = path(in: unified)
        try SysFile.write(String(Self.delegatedDescendants), to: dir + "/cgroup.max.descendants", hint: "cannot bound the guest's cgroups")
        try SysFile.write(String(Self.delegatedDepth), to: dir + "/cgroup.max.depth", hint: "cannot bound the guest's cgroups")
        for file in ["", "/cgroup.procs", "/cgroup.threads", "/cgroup.subtree_control"] where SysFile.exists(dir + file) {
            if chown(dir + file, uid, gid) != 0 { throw .current("delegate (chown) cgroup", dir + file) }
        }
    }

    /// Every process of the guest, including those in child cgroups (an init
    /// such as systemd makes its own).
    public func processes() -> [pid_t] {
        guard let h = layout.primary else { return [] }
        var result: [pid_t] = []
        collect(path(in: h), into: &result)
        return result
    }

    private func collect(_ dir: String, into result: inout [pid_t]) {
        if let text = SysFile.readIfPresent(dir + "/cgroup.procs") {
            for line in text.split(separator: "\n") {
                if let p = pid_t(line) { result.append(p) }
            }
        }
        for name in SysFile.subdirectories(dir) {
            collect(dir + "/" + name, into: &result)
        }
    }

    public var exists: Bool {
        guard let h = layout.primary else { return false }
        return SysFile.isDirectory(path(in: h))
    }

    public var isPopulated: Bool { !processes().isEmpty }

    public func usage() -> CgroupUsage {
        var usage = CgroupUsage(processes: processes().count)
        if let h = layout.hierarchy(for: "memory") {
            usage.memoryBytes = h.version == 2 ? CgroupV2Files.usage(at: path(in: h)).memory : CgroupV1Files.memoryUsage(at: path(in: h))
        }
        if let h = layout.hierarchy(for: "cpu"), h.version == 2 {
            usage.cpuNanos = CgroupV2Files.usage(at: path(in: h)).cpuNanos
        } else if let h = layout.hierarchy(for: "cpuacct") {
            usage.cpuNanos = CgroupV1Files.cpuNanos(at: path(in: h))
        }
        return usage
    }

    /// Kills every process of the guest and waits until none is left.
    /// `cgroup.kill` (v2, Linux 5.14) kills atomically, forks included;
    /// elsewhere SIGKILL is repeated until the cgroup is empty.
    public func killAll(timeoutSeconds: Double = 10) throws(KernelError) {
        let deadline = Monotonic.now + timeoutSeconds
        if let u = layout.unified, SysFile.exists(path(in: u) + "/cgroup.kill") {
            try? SysFile.write("1", to: path(in: u) + "/cgroup.kill")
        }
        while true {
            let left = processes()
            if left.isEmpty { return }
            for pid in left { kill(pid, SIGKILL) }
            if Monotonic.now > deadline {
                throw KernelError("kill every process of", relativePath, errno: EBUSY,
                                  hint: "\(left.count) process(es) survive SIGKILL, e.g. pid \(left[0]); they may be in uninterruptible sleep")
            }
            usleep(5_000)
        }
    }

    /// Removes the cgroup from every hierarchy, children first (an init may
    /// have made its own). Processes must be gone.
    public func remove(timeoutSeconds: Double = 5) throws(KernelError) {
        for h in layout.hierarchies {
            let p = path(in: h)
            guard SysFile.isDirectory(p) else { continue }
            try removeTree(p, deadline: Monotonic.now + timeoutSeconds)
        }
    }

    private func removeTree(_ dir: String, deadline: Double) throws(KernelError) {
        for name in SysFile.listDirectory(dir) where SysFile.isDirectory(dir + "/" + name) {
            try removeTree(dir + "/" + name, deadline: deadline)
        }
        while rmdir(dir) != 0 {
            if errno == ENOENT { return }
            // A cgroup stays busy for a moment after its last task died.
            if errno != EBUSY || Monotonic.now > deadline { throw .current("remove cgroup", dir) }
            usleep(10_000)
        }
    }
}
