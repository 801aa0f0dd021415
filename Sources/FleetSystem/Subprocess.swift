import CFleetSystem
import Glibc

/// Runs a program to its end and captures what it writes. Standard output
/// and standard error are drained together (poll), so a program that fills
/// one pipe while the other is being read cannot deadlock its caller; a
/// deadline kills a program that hangs. Standard input is /dev/null.
public enum Subprocess {
    /// `argv[0]` is a path, or a name looked up in PATH. `environment` nil
    /// inherits this process's. `mergeStandardError` sends standard error to
    /// the same pipe as standard output, in the order written.
    public static func run(_ argv: [String], environment: [String: String]? = nil, mergeStandardError: Bool = false,
                           timeout: Duration? = nil) throws(SystemError) -> SubprocessOutput {
        precondition(!argv.isEmpty, "Subprocess.run needs a program")
        let out = try pipe(for: argv[0])
        let err: (read: Int32, write: Int32)?
        do { err = mergeStandardError ? nil : try pipe(for: argv[0]) } catch {
            close(out.read); close(out.write)
            throw error
        }
        let pid: pid_t
        do {
            pid = try spawn(argv, environment: environment, stdout: out.write, stderr: err?.write ?? out.write)
        } catch {
            close(out.read); close(out.write)
            if let err { close(err.read); close(err.write) }
            throw error
        }
        close(out.write)
        if let err { close(err.write) }
        let deadline = timeout.map { Monotonic.now + $0.seconds }
        var drain = OutputDrain(stdout: out.read, stderr: err?.read)
        let finished = drain.run(until: deadline)
        if !finished { kill(pid, SIGKILL) }
        drain.closeAll()
        return SubprocessOutput(status: wait(for: pid), stdout: drain.stdout, stderr: drain.stderr, timedOut: !finished)
    }

    private static func pipe(for program: String) throws(SystemError) -> (read: Int32, write: Int32) {
        guard let pipe = CloexecPipe.make() else { throw SystemError("make a pipe for", program, errno: errno) }
        return pipe
    }

    private static func spawn(_ argv: [String], environment: [String: String]?, stdout: Int32, stderr: Int32) throws(SystemError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        // Descriptors another thread opened without O_CLOEXEC stay ours.
        fleet_spawn_close_from(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        // An ignored SIGPIPE (the agent's) would otherwise be inherited.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let args = CStrings(argv)
        let env = environment.map { CStrings($0.map { "\($0.key)=\($0.value)" }.sorted()) }
        defer { args.free(); env?.free() }
        var pid: pid_t = 0
        var argvPointers = args.pointers
        var envPointers = env?.pointers ?? []
        let spawn = argv[0].contains("/") ? posix_spawn : posix_spawnp
        func start(_ envp: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
            spawn(&pid, argv[0], &actions, &attributes, &argvPointers, envp)
        }
        let rc = env == nil ? start(environ) : envPointers.withUnsafeMutableBufferPointer { start($0.baseAddress) }
        guard rc == 0 else { throw SystemError("run", argv[0], errno: rc) }
        return pid
    }

    private static func wait(for pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return 127 }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
