import CFleetShim
import Glibc

/// Boots a guest: cgroup first, then a clone into new namespaces that waits
/// until it sits in that cgroup, then pivot_root and exec of init (in C).
public enum GuestLauncher {
    public struct Booted: Sendable {
        public let pid: pid_t
        public let warnings: [String]
    }

    public static func boot(_ spec: GuestBootSpec) throws(KernelError) -> Booted {
        try spec.cgroup.create(for: spec.limits)
        let warnings: [String]
        do throws(KernelError) {
            warnings = try spec.cgroup.apply(spec.limits)
            if let filter = spec.socketFilter {
                guard let unified = spec.cgroup.layout.unified else {
                    throw KernelError("confine the sockets of", spec.cgroup.relativePath, errno: ENOTSUP,
                                      hint: "isolated networking needs the cgroup v2 (unified) hierarchy mounted, as on hybrid and v2 hosts")
                }
                try filter.attach(toCgroup: spec.cgroup.path(in: unified))
            }
        } catch {
            try? spec.cgroup.remove()
            throw error
        }
        let logFD = open(spec.consoleLog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard logFD >= 0 else {
            try? spec.cgroup.remove()
            throw .current("open console log", spec.consoleLog)
        }
        defer { close(logFD) }

        let argv = CStringArray(spec.argv)
        let envp = CStringArray(spec.environment)
        let readOnly = CStringArray(GuestBootSpec.procReadOnly)
        let masked = CStringArray(GuestBootSpec.procMasked)
        let hasCgroupNS = SysFile.exists("/proc/self/ns/cgroup")

        var goFD: Int32 = -1
        var errFD: Int32 = -1
        let pid: pid_t = spec.rootfs.withCString { rootfs in
            spec.hostname.withCString { hostname in
                spec.consoleLog.withCString { console in
                    withOptionalCString(spec.overlay?.mountOptions) { overlay in
                        argv.withPointer { argvP in
                            envp.withPointer { envpP in
                                readOnly.withPointer { roP in
                                    masked.withPointer { maskP in
                                        var config = vf_guest_config(
                                            rootfs: rootfs, overlay_options: overlay, hostname: hostname,
                                            console_path: console, log_fd: logFD,
                                            new_net: spec.privateNetwork ? 1 : 0, new_cgroup_ns: hasCgroupNS ? 1 : 0,
                                            argv: argvP, envp: envpP, keep_caps: spec.capabilities.bits,
                                            cap_last: Int32(Capabilities.lastCap),
                                            proc_readonly: roP, proc_masked: maskP)
                                        return vf_guest_clone(&config, &goFD, &errFD)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        guard pid > 0 else {
            let e = KernelError.current("clone the guest's init into new namespaces for", spec.rootfs)
            try? spec.cgroup.remove()
            throw e
        }
        do {
            try spec.cgroup.add(pid: pid)
            try spec.beforeRelease?(pid)
        } catch {
            vf_child_abort(pid, goFD, errFD)
            try? spec.cgroup.remove()
            throw error
        }
        var failure = vf_child_error()
        if vf_child_release(goFD, errFD, &failure) != 0 {
            _ = vf_wait_status(pid)
            try? spec.cgroup.killAll(timeoutSeconds: 2)
            try? spec.cgroup.remove()
            throw KernelError(ChildErrorText.what(failure), "", errno: failure.err, hint: ChildErrorText.hint(for: failure))
        }
        return Booted(pid: pid, warnings: warnings)
    }
}

func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let s else { return body(nil) }
    return s.withCString { body($0) }
}

/// Turns a child's error record into text.
enum ChildErrorText {
    static func what(_ e: vf_child_error) -> String {
        withUnsafePointer(to: e.what) { $0.withMemoryRebound(to: CChar.self, capacity: Int(VF_ERR_TEXT)) { String(cString: $0) } }
            .trimmed
    }

    static func hint(for e: vf_child_error) -> String? {
        let text = what(e)
        if text.hasPrefix("exec") && e.err == ENOENT { return "the guest's template has no such program; check --init or the command" }
        if text.hasPrefix("mount overlay") { return "is overlayfs available (modprobe overlay) and is the state directory on a file system overlay accepts as upper layer?" }
        return nil
    }
}
