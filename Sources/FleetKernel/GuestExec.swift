import CFleetShim
import Glibc

/// Runs a command inside a running guest: same namespaces, cgroup, root and
/// capability bound as its init (the `vserver NAME exec` of vfleet).
public struct GuestExec: Sendable {
    public var initPid: pid_t
    public var cgroup: GuestCgroup
    public var argv: [String]
    public var environment: [String]
    public var workingDirectory: String
    public var capabilities: CapabilitySet
    /// Used when argv[0] has no slash.
    public var searchPath: String
    /// -1: inherit the caller's descriptor.
    public var stdin: Int32 = -1
    public var stdout: Int32 = -1
    public var stderr: Int32 = -1
    /// true detaches the command from the caller's terminal.
    public var newSession: Bool = false
    /// true: stdin is a terminal (a pty slave) that becomes the command's
    /// controlling terminal, in a session of its own.
    public var controllingTerminal: Bool = false
    /// The guest's filter, installed before the command exists; nil: none.
    public var seccomp: SyscallFilter?

    public init(initPid: pid_t, cgroup: GuestCgroup, argv: [String], environment: [String],
                workingDirectory: String = "/", capabilities: CapabilitySet,
                searchPath: String = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") {
        self.initPid = initPid
        self.cgroup = cgroup
        self.argv = argv
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.capabilities = capabilities
        self.searchPath = searchPath
    }

    /// The namespaces joined, in order; mnt is last because it changes the
    /// root under which later /proc paths would be looked up.
    static let namespaceOrder = ["cgroup", "ipc", "uts", "net", "pid", "mnt"]

    /// Starts the command; returns the helper's pid once the command has
    /// been exec'd. `wait(pid)` gives its exit status.
    public func spawn() throws(KernelError) -> pid_t {
        guard !argv.isEmpty else { throw KernelError("run a command in", "guest", errno: EINVAL, hint: "give a command") }
        var nsFDs: [Int32] = []
        var cgFDs: [Int32] = []
        defer {
            for fd in nsFDs { close(fd) }
            for fd in cgFDs { close(fd) }
        }
        // A guest with a user namespace of its own: that one first, since it
        // owns the others, and the command then acts as its root.
        let joinsUserNamespace = UserNamespace.isSeparate(pid: initPid)
        for kind in (joinsUserNamespace ? ["user"] : []) + Self.namespaceOrder {
            let path = "/proc/\(initPid)/ns/\(kind)"
            // Shared with the host (e.g. the network of a host-network
            // guest): nothing to join, and once in the guest's user
            // namespace we could not join the host's.
            guard SysFile.exists(path), !UserNamespace.sameNamespace(path, "/proc/self/ns/\(kind)") else { continue }
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw .current("open namespace", path, hint: "is the guest still running?") }
            nsFDs.append(fd)
        }
        for file in cgroup.procsFiles {
            let fd = open(file, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw .current("open", file, hint: "is the guest still running?") }
            cgFDs.append(fd)
        }
        guard nsFDs.count <= Int(VF_MAX_NS), cgFDs.count <= Int(VF_MAX_CGROUPS) else {
            throw KernelError("join", "the guest's cgroups", errno: E2BIG)
        }
        var config = vf_exec_config()
        withUnsafeMutableBytes(of: &config.ns_fds) { raw in
            let p = raw.bindMemory(to: Int32.self)
            for (i, fd) in nsFDs.enumerated() { p[i] = fd }
        }
        withUnsafeMutableBytes(of: &config.cgroup_fds) { raw in
            let p = raw.bindMemory(to: Int32.self)
            for (i, fd) in cgFDs.enumerated() { p[i] = fd }
        }
        config.ns_count = Int32(nsFDs.count)
        config.cgroup_count = Int32(cgFDs.count)
        config.keep_caps = capabilities.bits
        config.cap_last = Int32(Capabilities.lastCap)
        config.stdin_fd = stdin
        config.stdout_fd = stdout
        config.stderr_fd = stderr
        config.new_session = newSession || controllingTerminal ? 1 : 0
        config.controlling_tty = controllingTerminal ? 1 : 0
        config.become_userns_root = joinsUserNamespace ? 1 : 0

        let argvC = CStringArray(argv)
        let envC = CStringArray(environment)
        var errFD: Int32 = -1
        let pid: pid_t = workingDirectory.withCString { cwd in
            searchPath.withCString { search in
                argvC.withPointer { a in
                    envC.withPointer { e in
                        config.cwd = cwd
                        config.search_path = search
                        config.argv = a
                        config.envp = e
                        return seccomp.withProgram { filter in
                            config.seccomp = filter
                            return vf_exec_spawn(&config, &errFD)
                        }
                    }
                }
            }
        }
        guard pid > 0 else { throw .current("fork a helper to enter guest of init pid", String(initPid)) }
        var failure = vf_child_error()
        if vf_exec_wait_started(errFD, &failure) != 0 {
            _ = vf_wait_status(pid)
            throw KernelError(ChildErrorText.what(failure), "", errno: failure.err, hint: ChildErrorText.hint(for: failure))
        }
        return pid
    }

    /// Waits for a helper from `spawn()`; returns the command's exit status
    /// (128+N when a signal N ended it).
    public static func wait(_ pid: pid_t) -> Int32 {
        vf_wait_status(pid)
    }
}
