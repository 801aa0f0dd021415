import Foundation
import Synchronization

/// Runs `body` for every item on at most `maxParallel` threads of its own
/// and returns the results in the input's order. Not GCD: these calls block
/// (libssh), and nested blocking work on GCD's pool starves it — GCD adds a
/// thread about once a second then, which made every step of parallel moves
/// wait in one-second steps.
public func parallelMap<T: Sendable, R: Sendable>(_ items: [T], maxParallel: Int, _ body: @escaping @Sendable (T) -> R) -> [R] {
    if items.count <= 1 || maxParallel <= 1 { return items.map(body) }
    let work = ParallelWork<R>(count: items.count)
    let workers = min(maxParallel, items.count)
    let done = DispatchSemaphore(value: 0)
    for _ in 0..<workers {
        let thread = Thread {
            while let i = work.claim() {
                work.set(i, body(items[i]))
            }
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    for _ in 0..<workers { done.wait() }
    return work.results()
}

/// The workers' shared state: the next item to take and the results so far.
private final class ParallelWork<R: Sendable>: Sendable {
    private let count: Int
    private let next = Atomic<Int>(0)
    private let slots: Mutex<[R?]>

    init(count: Int) {
        self.count = count
        slots = Mutex(Array(repeating: nil, count: count))
    }

    /// Takes the next index to work on, or nil when all are taken.
    func claim() -> Int? {
        let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
        return i < count ? i : nil
    }

    func set(_ i: Int, _ value: R) {
        slots.withLock { $0[i] = value }
    }

    /// Every result, once all workers have ended.
    func results() -> [R] {
        slots.withLock { $0.map { $0! } }
    }
}
