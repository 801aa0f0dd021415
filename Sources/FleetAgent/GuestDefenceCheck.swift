import FleetKernel
import FleetProtocol
import Foundation

/// The defences every guest gets, in `vfleet-agent check`: what the kernel
/// offers for each and what the agent does without it (docs/SECURITY.md).
enum GuestDefenceCheck {
    static func requirements() -> [KernelRequirement] {
        var reqs: [KernelRequirement] = []
        let seccomp = SyscallFilter.available
        reqs.append(KernelRequirement(
            name: "seccomp filters", verdict: seccomp ? .present : .missing,
            purpose: "every guest's default system call filter (key rings, file handles, kexec, modules, bpf, perf, userfaultfd, io_uring, the new mount API, user namespaces)",
            detail: seccomp ? "\(SyscallFilter.rules.count) rules" : "CONFIG_SECCOMP_FILTER",
            fallback: seccomp ? nil : "guests do not start with the default filter; only --allow-syscall all runs one here, unfiltered"))
        // Every guest's default (--userns): namespaces allowed, and the
        // template shared through an idmapped mount (Linux 5.12).
        let maxUserNS = SysFile.readIfPresent("/proc/sys/user/max_user_namespaces").flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
        reqs.append(KernelRequirement(
            name: "user namespaces allowed", verdict: maxUserNS > 0 ? .present : .optional,
            purpose: "every guest's default: guest root is an unprivileged host user",
            detail: maxUserNS > 0 ? "user.max_user_namespaces = \(maxUserNS)" : "sysctl user.max_user_namespaces=15000",
            fallback: maxUserNS > 0 ? nil : "guests start only with --no-userns (root of the host's user namespace, bounded by capabilities and the filter)"))
        let idmap = KernelChecker.kernelAtLeast(5, 12)
        reqs.append(KernelRequirement(
            name: "idmapped mounts", verdict: idmap ? .present : .optional,
            purpose: "user namespace guests share the template unchanged (no chown of it)",
            detail: idmap ? "Linux 5.12 or later" : nil,
            fallback: idmap ? nil : "guests start only with --no-userns"))
        return reqs
    }
}
