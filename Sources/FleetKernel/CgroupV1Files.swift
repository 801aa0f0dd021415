/// Limit and usage files of legacy (v1) hierarchies; one call per hierarchy.
enum CgroupV1Files {
    static func apply(_ limits: CgroupLimits, at path: String, controllers: [String], warnings: inout [String]) throws(KernelError) {
        if controllers.contains("memory"), let bytes = limits.memoryBytes {
            try SysFile.write(String(bytes), to: path + "/memory.limit_in_bytes")
            // Without this the guest could spill into swap past its limit.
            if SysFile.exists(path + "/memory.memsw.limit_in_bytes") {
                try SysFile.write(String(bytes), to: path + "/memory.memsw.limit_in_bytes")
            }
        }
        if controllers.contains("cpu") {
            if let millis = limits.cpuMillis {
                try SysFile.write(String(CgroupLimits.cpuPeriodMicros), to: path + "/cpu.cfs_period_us")
                try SysFile.write(String(millis * CgroupLimits.cpuPeriodMicros / 1000), to: path + "/cpu.cfs_quota_us")
            }
            if let weight = limits.cpuWeight {
                // cpu.shares: 1024 is the default, as 100 is for cpu.weight.
                try SysFile.write(String(max(2, weight * 1024 / 100)), to: path + "/cpu.shares")
            }
        }
        if controllers.contains("pids"), let pids = limits.pids {
            try SysFile.write(String(pids), to: path + "/pids.max")
        }
        if controllers.contains("blkio"), let weight = limits.ioWeight {
            let v1 = String(max(10, min(1000, weight / 10)))
            if SysFile.exists(path + "/blkio.weight") {
                try SysFile.write(v1, to: path + "/blkio.weight")
            } else if SysFile.exists(path + "/blkio.bfq.weight") {
                try SysFile.write(v1, to: path + "/blkio.bfq.weight")
            } else {
                warnings.append("io weight \(weight) not applied: this host has no blkio.weight (the BFQ scheduler is not in use)")
            }
        }
    }

    static func memoryUsage(at path: String) -> UInt64? {
        SysFile.readIfPresent(path + "/memory.usage_in_bytes").flatMap { UInt64($0.trimmed) }
    }

    static func cpuNanos(at path: String) -> UInt64? {
        SysFile.readIfPresent(path + "/cpuacct.usage").flatMap { UInt64($0.trimmed) }
    }
}
