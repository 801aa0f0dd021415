import FleetSystem
import Foundation
import Synchronization

/// One of `vfleet serve`'s background jobs: `body` runs on a thread of its
/// own at once, then every `interval` seconds (counted from the start of the
/// last run; a run longer than the interval is followed by the next at
/// once), until `stop`. Later jobs (resuming unfinished operations,
/// failover) are loops like this one, added in `FleetService`.
public final class ServeLoop: Sendable {
    public let name: String
    public let interval: Double
    private let body: @Sendable () -> Void
    private let stopping = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    private let ended = DispatchSemaphore(value: 0)

    /// The first run comes one interval after the start instead of at once.
    private let waitFirst: Bool

    public init(name: String, interval: Double, waitFirst: Bool = false, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.interval = interval
        self.waitFirst = waitFirst
        self.body = body
    }

    public func start() {
        let thread = Thread { [self] in
            defer { ended.signal() }
            if waitFirst { _ = wake.wait(timeout: .now() + interval) }
            while !stopping.load(ordering: .acquiring) {
                let started = Monotonic.now
                body()
                let rest = interval - (Monotonic.now - started)
                if rest > 0 { _ = wake.wait(timeout: .now() + rest) }
            }
        }
        thread.stackSize = 1 << 20
        thread.name = "vfleet serve: \(name)"
        thread.start()
    }

    /// Asks the loop to end and waits up to `timeout` seconds for a run in
    /// progress to return; false if it did not (the process may exit anyway:
    /// a run only reads hosts and writes in transactions).
    public func stop(timeout: Double) -> Bool {
        stopping.store(true, ordering: .releasing)
        wake.signal()
        return ended.wait(timeout: .now() + timeout) == .success
    }
}
