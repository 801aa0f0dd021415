import Glibc

/// Limit and usage files of the unified (v2) hierarchy.
enum CgroupV2Files {
    /// Enables `controllers` in every cgroup.subtree_control from the
    /// hierarchy's root down to (not including) the guest's own directory.
    static func enable(_ controllers: [String], root: String, relative: [String]) throws(KernelError) {
        guard !controllers.isEmpty else { return }
        let value = controllers.map { "+" + $0 }.joined(separator: " ")
        // A controller reaches a cgroup only if every ancestor lists it in
        // cgroup.subtree_control: the root, then each parent below it.
        for depth in 0..<max(0, relative.count) where depth < relative.count {
            let dir = ([root] + relative.prefix(depth)).joined(separator: "/")
            let file = dir + "/cgroup.subtree_control"
            let current = (SysFile.readIfPresent(file) ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
            if controllers.allSatisfy(current.contains) { continue }
            try SysFile.write(value, to: file, hint: "is another manager holding processes in \(dir)?")
        }
    }

    static func apply(_ limits: CgroupLimits, at path: String, controllers: [String], warnings: inout [String]) throws(KernelError) {
        if let bytes = limits.memoryBytes {
            try require("memory", controllers, path)
            try SysFile.write(String(bytes), to: path + "/memory.max")
            if SysFile.exists(path + "/memory.swap.max") {
                try SysFile.write("0", to: path + "/memory.swap.max")
            }
        }
        if let millis = limits.cpuMillis {
            try require("cpu", controllers, path)
            let quota = millis * CgroupLimits.cpuPeriodMicros / 1000
            try SysFile.write("\(quota) \(CgroupLimits.cpuPeriodMicros)", to: path + "/cpu.max")
        }
        if let weight = limits.cpuWeight {
            try require("cpu", controllers, path)
            try SysFile.write(String(weight), to: path + "/cpu.weight")
        }
        if let pids = limits.pids {
            try require("pids", controllers, path)
            try SysFile.write(String(pids), to: path + "/pids.max")
        }
        if let weight = limits.ioWeight {
            if SysFile.exists(path + "/io.weight") {
                try SysFile.write("default \(weight)", to: path + "/io.weight")
            } else if SysFile.exists(path + "/io.bfq.weight") {
                try SysFile.write(String(max(1, min(1000, weight))), to: path + "/io.bfq.weight")
            } else {
                warnings.append("io weight \(weight) not applied: this host has no io.weight (io controller or BFQ scheduler missing)")
            }
        }
    }

    static func usage(at path: String) -> (memory: UInt64?, cpuNanos: UInt64?) {
        let memory = SysFile.readIfPresent(path + "/memory.current").flatMap { UInt64($0.trimmed) }
        var cpu: UInt64?
        if let stat = SysFile.readIfPresent(path + "/cpu.stat") {
            for line in stat.split(separator: "\n") where line.hasPrefix("usage_usec ") {
                cpu = UInt64(line.dropFirst("usage_usec ".count)).map { $0 * 1000 }
            }
        }
        return (memory, cpu)
    }

    private static func require(_ controller: String, _ controllers: [String], _ path: String) throws(KernelError) {
        if !controllers.contains(controller) {
            throw KernelError("apply a \(controller) limit in", path, errno: ENOTSUP,
                              hint: "the \(controller) controller is not available on this host; enable it or drop the limit")
        }
    }
}


extension String {
    var trimmed: String {
        var s = Substring(self)
        while let c = s.last, c == "\n" || c == " " || c == "\t" { s = s.dropLast() }
        while let c = s.first, c == "\n" || c == " " || c == "\t" { s = s.dropFirst() }
        return String(s)
    }
}
