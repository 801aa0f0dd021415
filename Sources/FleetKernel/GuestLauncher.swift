import CFleetShim
import Glibc

/// Boots a guest: cgroup first, then a clone into new namespaces that waits
/// until it sits in that cgroup, then pivot_root and exec of init (in C).
public enum GuestLauncher {
    public struct Booted: Sendable {
        public let pid: pid_t
        public let warnings: [String]
        /// The console logger: it ends after init, with the console's last lines.
        public let consoleLogger: pid_t
    }

    public static func boot(_ spec: GuestBootSpec) throws(KernelError) -> Booted {
        try spec.cgroup.create(for: spec.limits)
        let warnings: [String]
        do throws(KernelError) {
            warnings = try spec.cgroup.apply(spec.limits)
            // A user namespace guest on the host's network holds
            // NET_BIND_SERVICE in its own namespace only; the host's
            // network asks the host's. The cgroup's bind hook vouches for it.
            let netBindService = try Capabilities.number(of: "NET_BIND_SERVICE")
            let bindService = spec.userNamespace != nil && !spec.privateNetwork && spec.capabilities.contains(netBindService)
            if var filter = spec.socketFilter {
                guard let unified = spec.cgroup.layout.unified else {
                    throw KernelError("confine the sockets of", spec.cgroup.relativePath, errno: ENOTSUP,
                                      hint: "isolated networking needs the cgroup v2 (unified) hierarchy mounted, as on hybrid and v2 hosts")
                }
                filter.waivesBindServiceCheck = bindService
                try filter.attach(toCgroup: spec.cgroup.path(in: unified))
            } else if bindService, let unified = spec.cgroup.layout.unified {
                try SocketAddressFilter.attachBindService(toCgroup: spec.cgroup.path(in: unified))
            }
        } catch {
            try? spec.cgroup.remove()
            throw error
        }
        let logFD = open(spec.consoleLog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o640)
        guard logFD >= 0 else {
            try? spec.cgroup.remove()
            throw .current("open console log", spec.consoleLog)
        }
        defer { close(logFD) }
        let console: GuestConsole
        do { console = try GuestConsole(owner: spec.userNamespace?.hostBase) } catch {
            try? spec.cgroup.remove()
            throw error
        }

        let argv = CStringArray(spec.argv)
        let envp = CStringArray(spec.environment)
        let readOnly = CStringArray(GuestBootSpec.procReadOnly)
        let masked = CStringArray(GuestBootSpec.procMasked)
        let hasCgroupNS = SysFile.exists("/proc/self/ns/cgroup")
        // With a user namespace the overlay is mounted from inside it, on the
        // idmapped template stacked on the mount point; user.* xattrs then
        // hold its whiteouts and opaque marks (trusted.* needs host root).
        let userOverlay: String? = spec.userNamespace == nil ? nil : spec.overlay.map {
            "lowerdir=\(spec.rootfs),upperdir=\($0.upper),workdir=\($0.work),userxattr"
        }
        if spec.userNamespace != nil && spec.overlay == nil {
            try? spec.cgroup.remove()
            throw KernelError("boot", spec.rootfs, errno: EINVAL, hint: "a user namespace guest needs overlay layers")
        }

        var goFD: Int32 = -1
        var errFD: Int32 = -1
        // A user namespace guest's namespace is owned by its own host uid, so
        // its per-user limits (inotify, …) are not charged to host root.
        let owner: UserNamespaceOwner
        do { owner = try UserNamespaceOwner(becoming: spec.userNamespace?.hostBase) } catch {
            try? spec.cgroup.remove()
            throw error
        }
        let pid: pid_t = spec.rootfs.withCString { rootfs in
            spec.hostname.withCString { hostname in
                console.slavePath.withCString { consolePath in
                    withOptionalCString(spec.overlay?.mountOptions) { overlay in
                        argv.withPointer { argvP in
                            envp.withPointer { envpP in
                                readOnly.withPointer { roP in
                                    masked.withPointer { maskP in
                                        withOptionalCString(userOverlay) { userOverlayP in
                                          spec.seccomp.withProgram { seccompP in
                                            var config = vf_guest_config(
                                                rootfs: rootfs, overlay_options: overlay, hostname: hostname,
                                                console_path: consolePath, log_fd: console.slave,
                                                new_net: spec.privateNetwork ? 1 : 0, new_cgroup_ns: hasCgroupNS ? 1 : 0,
                                                argv: argvP, envp: envpP, keep_caps: spec.capabilities.bits,
                                                cap_last: Int32(Capabilities.lastCap),
                                                proc_readonly: roP, proc_masked: maskP,
                                                new_user_ns: spec.userNamespace == nil ? 0 : 1,
                                                overlay_userns_options: userOverlayP,
                                                run_tmpfs: spec.initMounts ? 1 : 0,
                                                mount_cgroup2: spec.initMounts && hasCgroupNS && spec.cgroup.layout.unified != nil ? 1 : 0,
                                                seccomp: seccompP)
                                            return vf_guest_clone(&config, &goFD, &errFD)
                                          }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        owner.restore()
        guard pid > 0 else {
            let e = KernelError.current("clone the guest's init into new namespaces for", spec.rootfs,
                                        hint: spec.userNamespace == nil ? nil
                                            : "user namespaces may be off here (sysctl user.max_user_namespaces; see `vfleet-agent check`), or give the guest --no-userns")
            try? spec.cgroup.remove()
            throw e
        }
        var templateFD: Int32 = -1
        defer { if templateFD >= 0 { close(templateFD) } }
        let logger: pid_t
        do {
            // The logger reads from before init's first word: an init may
            // flush its console's queues (sysvinit does) and lose what
            // nobody has read yet. It ends with the child, also on failure.
            logger = try console.startLogging(to: logFD, path: spec.consoleLog, cap: spec.consoleLogCap, initPid: pid)
            try spec.cgroup.add(pid: pid)
            // The OOM killer would otherwise take a small init when the
            // process that filled the guest's memory is already dying and
            // only small ones are left, and init's end is the guest's end.
            // Its children inherit the value (a guest cannot lower its own):
            // between them size decides. Lowering needs CAP_SYS_RESOURCE;
            // without it (some sandboxes) init stays at 0, and commands run
            // with exec, raised to +500, still go first.
            try? SysFile.write(String(GuestBootSpec.initOOMScoreAdjust), to: "/proc/\(pid)/oom_score_adj")
            if let userNS = spec.userNamespace, let overlay = spec.overlay {
                try userNS.writeMaps(pid: pid)
                try spec.cgroup.delegate(toUID: userNS.hostBase, gid: userNS.hostBase)
                templateFD = try userNS.idmappedTree(overlay.lower, for: pid)
            }
            try spec.beforeRelease?(pid)
        } catch {
            vf_child_abort(pid, goFD, errFD)
            try? spec.cgroup.remove()
            throw error
        }
        var failure = vf_child_error()
        if vf_child_release_passing(goFD, templateFD, errFD, &failure) != 0 {
            _ = vf_wait_status(pid)
            try? spec.cgroup.killAll(timeoutSeconds: 2)
            try? spec.cgroup.remove()
            throw KernelError(ChildErrorText.what(failure), "", errno: failure.err, hint: ChildErrorText.hint(for: failure))
        }
        return Booted(pid: pid, warnings: warnings, consoleLogger: logger)
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
        if text.hasPrefix("attach the idmapped template") && e.err == EACCES {
            // The guest's root (an unprivileged host uid) reaches its mount
            // point by path from inside its user namespace.
            return "every directory above the agent's state root must be searchable by other users (chmod o+x); or give the guest --no-userns"
        }
        if text.hasPrefix("mount overlay") { return "is overlayfs available (modprobe overlay) and is the state directory on a file system overlay accepts as upper layer?" }
        return nil
    }
}
