import FleetSystem
import Synchronization

/// What a replicated store tells its user without failing: reads answered
/// from the local replica while etcd cannot be asked (they may be stale),
/// a snapshot that could not be stored. Kept until a handler is set (the
/// command line prints them on stderr), each told once.
final class StoreNotices: Sendable {
    private struct State {
        var handler: (@Sendable (String) -> Void)?
        var pending: [String] = []
        var told: Set<String> = []
        /// While etcd could not be asked: reads skip asking it until then.
        var staleUntil: Double = 0
        var staleReason: String?
    }

    private let state = Mutex(State())
    /// After a failed head read, reads answer locally this long before
    /// asking etcd again (each try may take the whole request timeout).
    static let staleRetry: Double = 10

    func setHandler(_ handler: @escaping @Sendable (String) -> Void) {
        let pending = state.withLock { current in
            current.handler = handler
            defer { current.pending = [] }
            return current.pending
        }
        pending.forEach(handler)
    }

    func tell(_ message: String) {
        let handler = state.withLock { current -> (@Sendable (String) -> Void)? in
            guard current.told.insert(message).inserted else { return nil }
            guard let handler = current.handler else {
                current.pending.append(message)
                return nil
            }
            return handler
        }
        handler?(message)
    }

    /// Why reads may be stale now, nil while they are not.
    var staleReason: String? { state.withLock { $0.staleReason } }

    /// Whether a read should answer locally without asking etcd now.
    var skipsEtcd: Bool { state.withLock { $0.staleReason != nil && Monotonic.now < $0.staleUntil } }

    func markStale(_ reason: String) {
        state.withLock {
            $0.staleReason = reason
            $0.staleUntil = Monotonic.now + Self.staleRetry
        }
    }

    func markFresh() { state.withLock { $0.staleReason = nil } }
}
