import FleetSystem
import Synchronization

/// `vfleet serve`'s "resume" loop: what `vfleet ops resume` does by hand,
/// for operations whose controller process died (kill -9, a crash, a
/// reboot), so that an interrupted move or evacuation ends without an
/// operator. Runs on the loop's one thread; the backoff is kept between runs.
final class OrphanedOperationsFinisher: Sendable {
    private let controller: Controller
    private let backoff: Mutex<ResumeBackoff>
    private let log: @Sendable (String) -> Void

    init(controller: Controller, interval: Double, log: @escaping @Sendable (String) -> Void) {
        self.controller = controller
        backoff = Mutex(ResumeBackoff(initial: interval))
        self.log = log
    }

    func run() {
        var state = backoff.withLock { $0 }
        let outcomes = controller.resumeOrphanedOperations(backoff: &state)
        backoff.withLock { $0 = state }
        for o in outcomes {
            log("operation \(o.operation)\(o.guest.map { " (guest \($0))" } ?? "") left by a dead controller process: \(o.outcome): \(o.detail)")
        }
    }
}
