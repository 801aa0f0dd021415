import FleetKernel
import Foundation
import Synchronization

/// A long-lived agent (rpc) is the parent of the inits it started; when one
/// ends it must be reaped or it stays a zombie. Only the pids registered here
/// are waited for, so exit statuses of exec helpers are left to their callers.
final class ChildReaper: Sendable {
    private let pids = Mutex<Set<pid_t>>([])

    func track(_ pid: pid_t) {
        pids.withLock { _ = $0.insert(pid) }
    }

    func reapExited() {
        let current = pids.withLock { $0 }
        for pid in current where ChildProcesses.reapIfExited(pid) || !ProcessFacts.isAlive(pid) {
            pids.withLock { _ = $0.remove(pid) }
        }
    }

    /// Reaps every `interval` seconds on a thread of its own.
    func startBackground(interval: Double = 0.5) {
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: interval)
                reapExited()
            }
        }
        thread.start()
    }
}
