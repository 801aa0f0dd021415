import FleetKernel
import FleetProtocol
import Foundation
import FleetSystem
import Glibc

extension Agent {
    /// Prepares a command to run in a running guest: same namespaces, cgroup,
    /// root and capability bound as its init.
    public func execPlan(_ name: String, argv: [String], env: [String] = []) throws(FleetError) -> GuestExec {
        let record = try guests.load(name)
        guard !argv.isEmpty else { throw .invalid("exec \(name): give a command after --") }
        guard let pid = initPid(of: name) else {
            throw .conflict("cannot run a command in guest \(name): it is not running (start it first)")
        }
        let term = ProcessInfo.processInfo.environment["TERM"]
        let account = GuestAccount.root(ofGuestInit: pid)
        var plan = GuestExec(initPid: pid, cgroup: cgroup(of: name), argv: argv,
                             environment: GuestEnvironment.forExec(term: term, account: account, extra: env),
                             workingDirectory: account.home, capabilities: try capabilities(for: record.spec))
        plan.seccomp = try syscallFilter(for: record.spec)
        return plan
    }

    /// Runs a command with the caller's stdin, stdout and stderr relayed
    /// (a pseudo-terminal of its own when `terminal` is true and stdin is a
    /// terminal; pipes otherwise); returns its exit status (128+N when
    /// signal N ended it). No descriptor of the caller's enters the guest.
    public func execAttached(_ name: String, argv: [String], env: [String] = [], terminal: Bool = true) throws(FleetError) -> Int32 {
        var plan = try execPlan(name, argv: argv, env: env)
        let caller = terminal ? CallerTerminal(fd: 0) : nil
        let owner = userNamespace(of: try guests.load(name)).map(\.hostBase)
        let io: AttachedIO
        do { io = try AttachedIO(terminal: caller, owner: owner) } catch {
            throw .failed("cannot run \(argv[0]) in guest \(name): \(error)")
        }
        plan.stdin = io.childStdin
        plan.stdout = io.childStdout
        plan.stderr = io.childStderr
        plan.controllingTerminal = caller != nil
        let pid: pid_t
        do { pid = try plan.spawn() } catch {
            io.closeChildEnds()
            throw .failed("cannot run \(argv[0]) in guest \(name): \(error)")
        }
        io.closeChildEnds()
        return io.run(helper: pid)
    }

    /// Runs a command with captured output (the RPC form).
    public func execCaptured(_ params: GuestExecParams) throws(FleetError) -> GuestExecResult {
        var plan = try execPlan(params.name, argv: params.argv, env: params.env ?? [])
        let io: CapturedIO
        do { io = try CapturedIO() } catch { throw .failed("exec \(params.name): cannot create pipes: \(error)") }
        plan.stdin = io.childStdin
        plan.stdout = io.childStdout
        plan.stderr = io.childStderr
        plan.newSession = true
        let pid: pid_t
        do { pid = try plan.spawn() } catch {
            io.closeAll()
            throw .failed("cannot run \(params.argv[0]) in guest \(params.name): \(error)")
        }
        io.closeChildEnds()
        let timeout = params.timeoutSeconds ?? 60
        let deadline = Monotonic.now + timeout
        let outcome = io.run(input: Data((params.stdin ?? "").utf8), timeout: timeout, helper: pid)
        // A command that closed its output may still run: the timeout holds for it too.
        let (status, killed) = ChildProcesses.waitStatus(pid, until: deadline)
        return GuestExecResult(exitCode: Int(status), stdout: outcome.stdout, stderr: outcome.stderr, timedOut: outcome.timedOut || killed)
    }

    /// `enter`: root's login shell inside the guest (from its /etc/passwd),
    /// like `vserver NAME enter`.
    public func enter(_ name: String) throws(FleetError) -> Int32 {
        guard let pid = initPid(of: name) else {
            throw .conflict("cannot enter guest \(name): it is not running (start it first)")
        }
        let shell = GuestAccount.root(ofGuestInit: pid).shell
        return try execAttached(name, argv: [shell, "-l"])
    }
}
