import FleetKernel
import FleetProtocol
import Foundation
import Glibc

/// How a guest's init is asked to shut down: its own way.
enum ShutdownRequest: Equatable, CustomStringConvertible {
    /// A signal to init: SIGTERM (plain), SIGRTMIN+3 (systemd), --stop-signal.
    case signal(Int32)
    /// sysvinit: `telinit 0` inside the guest, as an operator would. Debian's
    /// inittab maps SIGPWR to /etc/init.d/powerfail, which minbase lacks.
    case telinit(String)

    var description: String {
        switch self {
        case .signal(let n): return SignalName.name(n)
        case .telinit: return "telinit 0"
        }
    }

    var isTelinit: Bool {
        if case .telinit = self { return true }
        return false
    }

    /// Sends the request; a failure shows as a guest that does not stop, which
    /// stop handles after its timeout. For telinit, returns the helper that
    /// runs it without waiting for it: the guest's telinit is the guest's
    /// program and may never return. The caller reaps it (``reap(_:)``)
    /// and kills it at its deadline.
    func send(to initPid: pid_t, agent: Agent, record: GuestRecord) -> pid_t? {
        switch self {
        case .signal(let n):
            kill(initPid, n)
            return nil
        case .telinit(let path):
            guard var plan = try? agent.execPlan(record.spec.name, argv: [path, "0"]) else { return nil }
            let null = open("/dev/null", O_RDWR | O_CLOEXEC)
            defer { if null >= 0 { close(null) } }
            plan.stdin = null
            plan.stdout = null
            plan.stderr = null
            plan.newSession = true
            return try? plan.spawn()
        }
    }
}

/// Tells when sysvinit has finished its shutdown but cannot power off (no
/// CAP_SYS_BOOT in the host's user namespace): it is in runlevel 0 (its
/// command line reads "init [0]"), its runlevel-0 scripts (`rc 0`) have run,
/// and nothing but init is left. Only init alone is not enough: between
/// ending the old runlevel's processes and starting `rc 0` it is alone too.
struct SysvHaltWatch {
    private(set) var sawShutdownScripts = false

    mutating func isHalted(initPid: pid_t, processes: [pid_t]) -> Bool {
        if !sawShutdownScripts {
            sawShutdownScripts = processes.contains { $0 != initPid && Self.isRunlevelZeroScript($0) }
        }
        guard sawShutdownScripts, processes == [initPid] else { return false }
        guard let cmdline = try? String(contentsOfFile: "/proc/\(initPid)/cmdline", encoding: .utf8) else { return false }
        return cmdline.contains("[0]")
    }

    /// Debian's inittab runs `/etc/init.d/rc 0` (a shell script) on entering runlevel 0.
    static func isRunlevelZeroScript(_ pid: pid_t) -> Bool {
        guard let cmdline = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8) else { return false }
        let args = cmdline.split(separator: "\0")
        return args.contains { $0.hasSuffix("/rc") } && args.last == "0"
    }
}

extension Agent {
    func shutdownRequest(for record: GuestRecord, initPid: pid_t) -> ShutdownRequest {
        if let n = record.spec.stopSignal { return .signal(n) }
        let style = initStyle(of: record.spec)
        if style == .sysv, let tree = try? GuestTree(rootOfProcess: initPid) {
            for path in ["/sbin/telinit", "/usr/sbin/telinit"] where tree.isRegularFile(path) {
                return .telinit(path)
            }
        }
        return .signal(style.stopSignal)
    }
}
