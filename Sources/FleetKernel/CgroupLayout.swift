import Glibc

/// How a host mounts cgroups.
public enum CgroupMode: String, Codable, Sendable {
    case v1, v2, hybrid
}

/// One mounted cgroup hierarchy.
public struct CgroupHierarchy: Sendable, Equatable, Codable {
    public let mountPoint: String
    /// 1 for a legacy hierarchy, 2 for the unified one.
    public let version: Int
    /// v1: the controllers bound to it (and `name=…` for named ones);
    /// v2: the controllers listed in its root's cgroup.controllers.
    public let controllers: [String]

    public init(mountPoint: String, version: Int, controllers: [String]) {
        self.mountPoint = mountPoint
        self.version = version
        self.controllers = controllers
    }
}

/// Every cgroup hierarchy of this host, and which one serves which controller.
public struct CgroupLayout: Sendable, Equatable {
    public let hierarchies: [CgroupHierarchy]

    public init(hierarchies: [CgroupHierarchy]) {
        self.hierarchies = hierarchies
    }

    public var mode: CgroupMode {
        let v1 = hierarchies.contains { $0.version == 1 }
        let v2 = hierarchies.contains { $0.version == 2 }
        switch (v1, v2) {
        case (true, true): return .hybrid
        case (true, false): return .v1
        default: return .v2
        }
    }

    public var unified: CgroupHierarchy? { hierarchies.first { $0.version == 2 } }

    /// The hierarchy that enforces `controller`: the unified one when it has
    /// the controller (v2 and v2-heavy hybrids), else the legacy one bound to it.
    public func hierarchy(for controller: String) -> CgroupHierarchy? {
        if let u = unified, u.controllers.contains(controller) { return u }
        return hierarchies.first { $0.version == 1 && $0.controllers.contains(controller) }
    }

    /// All controllers available for limits, whichever hierarchy holds them.
    public var availableControllers: [String] {
        var seen: [String] = []
        for h in hierarchies {
            for c in h.controllers where !c.hasPrefix("name=") && !seen.contains(c) { seen.append(c) }
        }
        return seen.sorted()
    }

    /// The hierarchy whose cgroup.procs lists a guest's processes: the
    /// unified one if mounted (it always tracks every process), else the first.
    public var primary: CgroupHierarchy? { unified ?? hierarchy(for: "pids") ?? hierarchies.first }

    /// Reads this host's layout from /proc/self/mountinfo.
    public static func detect(mountinfoPath: String = "/proc/self/mountinfo") throws(KernelError) -> CgroupLayout {
        let text = try SysFile.read(mountinfoPath)
        return parse(mountinfo: text) { mount in
            let list = SysFile.readIfPresent(mount + "/cgroup.controllers") ?? ""
            return list.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        }
    }

    /// Parses mountinfo text. v2 controller lists come from `v2Controllers`
    /// so that tests need no real cgroup file system.
    public static func parse(mountinfo: String, v2Controllers: (String) -> [String]) -> CgroupLayout {
        var result: [CgroupHierarchy] = []
        var seenDevices: Set<String> = []
        // v1 controllers that may not be joined without extra set-up
        // (cpuset needs cpus/mems seeded) are skipped: vfleet sets no limits there.
        let skipped: Set<String> = ["cpuset"]
        for line in mountinfo.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let dash = fields.firstIndex(of: "-") else { continue }
            let left = Array(fields[..<dash])
            let right = Array(fields[(dash + 1)...])
            guard left.count >= 5, right.count >= 3 else { continue }
            let device = String(left[2])
            let root = String(left[3])
            let mountPoint = unescape(String(left[4]))
            let fstype = right[0]
            guard root == "/", fstype == "cgroup" || fstype == "cgroup2" else { continue }
            guard !seenDevices.contains(device) else { continue }
            seenDevices.insert(device)
            if fstype == "cgroup2" {
                result.append(CgroupHierarchy(mountPoint: mountPoint, version: 2, controllers: v2Controllers(mountPoint)))
            } else {
                let options = right[2].split(separator: ",").map(String.init)
                let controllers = options.filter { opt in
                    opt.hasPrefix("name=") || !["rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec", "clone_children", "noprefix", "xattr"].contains(opt) && !opt.contains("=")
                }
                if controllers.contains(where: skipped.contains) { continue }
                result.append(CgroupHierarchy(mountPoint: mountPoint, version: 1, controllers: controllers))
            }
        }
        return CgroupLayout(hierarchies: result)
    }

    /// mountinfo escapes space, tab, newline and backslash as octal.
    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "\\"), i + 3 < b.count,
               let v = UInt8(String(decoding: b[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                out.append(v)
                i += 4
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
