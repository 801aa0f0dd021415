import Foundation
import Synchronization

/// Collects failures from worker threads.
final class FailureLog: Sendable {
    private let stored = Mutex<[String]>([])
    func add(_ entry: String) { stored.withLock { $0.append(entry) } }
    var entries: [String] { stored.withLock { $0 } }
}
