import FleetSystem
import Foundation
import Synchronization

/// A lease kept alive by a thread of its own (a keep-alive every third of
/// its TTL), for ownership: a lock or a leader key is put with `lease`.
///
/// The holder must stop acting as owner once `isHeld` is false. It turns
/// false when etcd says the lease is gone, and also, without etcd's word,
/// once a whole TTL has passed since the last keep-alive that succeeded was
/// sent (etcd counts the TTL from when it received it, so by then the lease
/// may have expired and another may own what it guarded). Its thread holds
/// the keeper until `stop()` or the loss.
public final class EtcdLeaseKeeper: Sendable {
    private struct State {
        var validUntil: Double
        var lost: EtcdError?
        var stopping = false
    }

    public let lease: Int64
    public let ttl: Int64
    private let client: EtcdClient
    private let state: Mutex<State>
    private let onLost: @Sendable (EtcdError) -> Void

    /// Grants a lease of `ttl` seconds and starts keeping it alive;
    /// `onLost` runs once, on the keeper's thread, when it is lost.
    public init(client: EtcdClient, ttl: Int64, onLost: @escaping @Sendable (EtcdError) -> Void = { _ in }) throws(EtcdError) {
        let sent = Monotonic.now
        let granted = try client.grantLease(ttl: ttl)
        self.client = client
        self.lease = granted.id
        self.ttl = granted.ttl
        self.onLost = onLost
        state = Mutex(State(validUntil: sent + Double(granted.ttl)))
        Thread.detachNewThread { [self] in run() }
    }

    /// Whether the lease is surely still alive (see the type's comment).
    public var isHeld: Bool {
        state.withLock { $0.lost == nil && !$0.stopping && Monotonic.now < $0.validUntil }
    }

    /// Why the lease was lost, once it was.
    public var lost: EtcdError? { state.withLock { $0.lost } }

    /// Stops keeping the lease alive; with `revoke`, ends it now (its keys
    /// go at once) instead of letting it expire.
    public func stop(revoke: Bool = true) {
        let wasRunning = state.withLock { current in
            defer { current.stopping = true }
            return !current.stopping && current.lost == nil
        }
        if revoke, wasRunning { try? client.revokeLease(lease) }
    }

    private func run() {
        let interval = max(Double(ttl) / 3, 0.1)
        var next = Monotonic.now + interval
        while true {
            // Sleep in short steps so that stop() is seen soon.
            while Monotonic.now < next {
                if state.withLock({ $0.stopping }) { return }
                usleep(UInt32(min(0.05, max(0, next - Monotonic.now)) * 1_000_000) + 1)
            }
            if state.withLock({ $0.stopping }) { return }
            let sent = Monotonic.now
            do throws(EtcdError) {
                let refreshed = try client.keepAliveOnce(lease)
                state.withLock { $0.validUntil = max($0.validUntil, sent + Double(refreshed.ttl)) }
            } catch where error.kind == .leaseNotFound {
                return lose(error)
            } catch {
                // No answer: keep trying until the last good keep-alive's TTL is over.
                let until = state.withLock { $0.validUntil }
                if Monotonic.now >= until {
                    return lose(EtcdError(error.kind, "lease \(lease) may have expired: no keep-alive succeeded for its \(ttl) s TTL (\(error.message))"))
                }
            }
            next = min(sent + interval, state.withLock { $0.validUntil })
            if next <= Monotonic.now { next = Monotonic.now + 0.05 }
        }
    }

    private func lose(_ error: EtcdError) {
        let first = state.withLock { current in
            defer { if current.lost == nil { current.lost = error } }
            return current.lost == nil && !current.stopping
        }
        if first { onLost(error) }
    }
}
