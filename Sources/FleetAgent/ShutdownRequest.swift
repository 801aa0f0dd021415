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

    /// Sends the request; a failure shows as a guest that does not stop, which
    /// stop handles after its timeout.
    func send(to initPid: pid_t, agent: Agent, record: GuestRecord) {
        switch self {
        case .signal(let n):
            kill(initPid, n)
        case .telinit(let path):
            guard var plan = try? agent.execPlan(record.spec.name, argv: [path, "0"]) else { return }
            let null = open("/dev/null", O_RDWR | O_CLOEXEC)
            defer { if null >= 0 { close(null) } }
            plan.stdin = null
            plan.stdout = null
            plan.stderr = null
            plan.newSession = true
            if let helper = try? plan.spawn() { _ = GuestExec.wait(helper) }
        }
    }

    /// sysvinit in runlevel 0 with nothing left but itself has finished its
    /// shutdown; it sets its command line to "init [0]" when it enters it.
    func isHalted(initPid: pid_t, processes: [pid_t]) -> Bool {
        guard case .telinit = self, processes == [initPid] else { return false }
        guard let cmdline = try? String(contentsOfFile: "/proc/\(initPid)/cmdline", encoding: .utf8) else { return false }
        return cmdline.contains("[0]")
    }
}

extension Agent {
    func shutdownRequest(for record: GuestRecord, initPid: pid_t) -> ShutdownRequest {
        if let n = record.spec.stopSignal { return .signal(n) }
        let style = initStyle(of: record.spec)
        if style == .sysv {
            for path in ["/sbin/telinit", "/usr/sbin/telinit"] where FileManager.default.fileExists(atPath: "/proc/\(initPid)/root" + path) {
                return .telinit(path)
            }
        }
        return .signal(style.stopSignal)
    }
}
