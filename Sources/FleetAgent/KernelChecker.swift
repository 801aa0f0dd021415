import FleetKernel
import FleetProtocol
import Foundation
import Glibc

/// `vfleet-agent check`: can this kernel run contexts? Each requirement is
/// present, missing or optional, with what vfleet uses it for.
public enum KernelChecker {
    public static func run(layout: CgroupLayout?) -> KernelCheckReport {
        var reqs: [KernelRequirement] = []
        let namespaces: [(String, String, Bool)] = [
            ("pid", "a guest sees only its own processes; its init is PID 1", true),
            ("mnt", "a guest has its own root (overlay + pivot_root) and mounts", true),
            ("uts", "a guest has its own hostname", true),
            ("ipc", "a guest has its own System V IPC and POSIX queues", true),
            ("net", "--net none (loopback only) and private networks", true),
            ("cgroup", "a guest sees its own cgroup as the root (systemd guests)", false),
            ("user", "user-namespaced guests (systemd with CAP_SYS_ADMIN inside)", false),
        ]
        for (ns, purpose, required) in namespaces {
            let present = SysFile.exists("/proc/self/ns/\(ns)")
            reqs.append(KernelRequirement(name: "namespace: \(ns)", verdict: present ? .present : (required ? .missing : .optional), purpose: purpose))
        }
        let mode = layout?.mode.rawValue ?? "none"
        if let layout, !layout.hierarchies.isEmpty {
            let detail = layout.hierarchies.map { h in
                "v\(h.version) \(h.mountPoint)" + (h.controllers.isEmpty ? "" : " [\(h.controllers.joined(separator: ","))]")
            }.joined(separator: "; ")
            reqs.append(KernelRequirement(name: "cgroups (\(mode))", verdict: .present, purpose: "one cgroup per guest: accounting, limits, kill-all", detail: detail))
            let controllers: [(String, String, Bool)] = [
                ("memory", "--memory limits and memory use", true),
                ("cpu", "--cpus (quota) and --cpu-weight", true),
                ("pids", "--pids limits (fork bombs stop at the limit)", true),
                ("cpuacct", "cpu seconds in status (v1 hosts; v2 has cpu.stat)", false),
                ("io", "--io-weight (v2)", false),
                ("blkio", "--io-weight (v1)", false),
                ("freezer", "freezing guests", false),
            ]
            for (c, purpose, required) in controllers {
                let h = layout.hierarchy(for: c)
                let v2covers = c == "cpuacct" && layout.hierarchy(for: "cpu")?.version == 2
                let verdict: KernelRequirement.Verdict = (h != nil || v2covers) ? .present : (required ? .missing : .optional)
                reqs.append(KernelRequirement(name: "cgroup controller: \(c)", verdict: verdict, purpose: purpose,
                                              detail: h.map { "v\($0.version) at \($0.mountPoint)" }))
            }
            if layout.unified != nil {
                let kill = kernelAtLeast(5, 14)
                reqs.append(KernelRequirement(name: "cgroup.kill", verdict: kill ? .present : .optional,
                                              purpose: "stop kills every process of a guest at once (else SIGKILL is repeated)",
                                              detail: kill ? "Linux 5.14 or later" : nil))
            }
        } else {
            reqs.append(KernelRequirement(name: "cgroups", verdict: .missing, purpose: "one cgroup per guest: accounting, limits, kill-all",
                                          detail: "no cgroup or cgroup2 file system mounted"))
        }
        let filesystems = SysFile.readIfPresent("/proc/filesystems") ?? ""
        let overlay = filesystems.contains("\toverlay\n") || SysFile.exists("/sys/module/overlay")
        reqs.append(KernelRequirement(name: "overlayfs", verdict: overlay ? .present : .missing,
                                      purpose: "guest roots: the template read-only below, the guest's changes above",
                                      detail: overlay ? nil : "modprobe overlay"))
        // --disk: a loop-mounted ext4 image per guest, on any state file
        // system (project quotas would need it mounted with prjquota).
        let loop = SysFile.exists("/dev/loop-control")
        let ext4 = filesystems.contains("\text4\n") || SysFile.exists("/sys/module/ext4")
        let mkfs = [String]([ "/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4"]).contains { (path: String) in access(path, X_OK) == 0 }
        reqs.append(KernelRequirement(name: "disk limits (loop devices, ext4, mkfs.ext4)", verdict: loop && ext4 && mkfs ? .present : .optional,
                                      purpose: "--disk: a guest's layer on a file system of its own (a write past it fails inside the guest)",
                                      detail: loop && ext4 && mkfs ? "a sparse ext4 image per guest, loop-mounted with direct I/O; project quotas are not used"
                                          : [loop ? nil : "modprobe loop", ext4 ? nil : "modprobe ext4", mkfs ? nil : "apt-get install e2fsprogs"]
                                              .compactMap { $0 }.joined(separator: "; ")))
        for (fs, purpose) in [("devpts", "/dev/pts inside guests"), ("tmpfs", "/dev and /dev/shm inside guests"), ("proc", "/proc inside guests"), ("sysfs", "read-only /sys inside guests")] {
            reqs.append(KernelRequirement(name: "file system: \(fs)", verdict: filesystems.contains("\t\(fs)\n") ? .present : .missing, purpose: purpose))
        }
        let eff = Capabilities.fromStatus("CapEff") ?? CapabilitySet(bits: 0)
        for (cap, purpose) in [("SYS_ADMIN", "namespaces, mounts, pivot_root"), ("MKNOD", "a guest's minimal /dev"),
                               ("SETPCAP", "reducing a guest's capability bounding set"), ("KILL", "stopping guests"),
                               ("SYS_CHROOT", "pivot_root into a guest")] {
            let n = (try? Capabilities.number(of: cap)) ?? -1
            reqs.append(KernelRequirement(name: "agent capability: CAP_\(cap)", verdict: n >= 0 && eff.contains(n) ? .present : .missing,
                                          purpose: purpose, detail: getuid() == 0 ? nil : "run the agent as root"))
        }
        if let n = try? Capabilities.number(of: "SYS_RESOURCE"), !eff.contains(n) {
            reqs.append(KernelRequirement(name: "agent capability: CAP_SYS_RESOURCE", verdict: .optional,
                                          purpose: "lowering a guest init's oom_score_adj; guests never get it either way"))
        }
        // The build options, from /proc/config.gz or /boot/config-*, with
        // the same verdicts as kernel/check.
        reqs += KernelConfigCheck.hostRequirements()
        reqs += GuestDefenceCheck.requirements()
        reqs += NetworkDefenceCheck.requirements(layout: layout)
        return KernelCheckReport(kernel: release(), cgroupMode: mode, requirements: reqs)
    }

    static func release() -> String {
        var uts = utsname()
        uname(&uts)
        return withUnsafeBytes(of: uts.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    static func kernelAtLeast(_ major: Int, _ minor: Int) -> Bool {
        let parts = release().split(whereSeparator: { $0 == "." || $0 == "-" }).compactMap { Int($0) }
        guard parts.count >= 2 else { return false }
        return (parts[0], parts[1]) >= (major, minor)
    }
}
