import Foundation

/// Runs `body` for every item on at most `maxParallel` threads of its own
/// and returns the results in the input's order. Not GCD: these calls block
/// (libssh), and nested blocking work on GCD's pool starves it — GCD adds a
/// thread about once a second then, which made every step of parallel moves
/// wait in one-second steps.
public func parallelMap<T: Sendable, R: Sendable>(_ items: [T], maxParallel: Int, _ body: @escaping @Sendable (T) -> R) -> [R] {
    if items.count <= 1 || maxParallel <= 1 { return items.map(body) }
    let results = ResultBox<R>(count: items.count)
    let next = ResultBox<Int>(count: 1)
    next.set(0, 0)
    let workers = min(maxParallel, items.count)
    let done = DispatchSemaphore(value: 0)
    for _ in 0..<workers {
        let thread = Thread {
            while let i = next.claim(below: items.count) {
                results.set(i, body(items[i]))
            }
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    for _ in 0..<workers { done.wait() }
    return results.values()
}

final class ResultBox<R>: @unchecked Sendable {
    fileprivate var storage: [R?]
    fileprivate let lock = NSLock()
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: R) {
        lock.lock()
        storage[i] = value
        lock.unlock()
    }
    func values() -> [R] { storage.map { $0! } }
}

extension ResultBox where R == Int {
    /// Takes the next index to work on, or nil when all are taken.
    func claim(below count: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        let i = storage[0]!
        guard i < count else { return nil }
        storage[0] = i + 1
        return i
    }
}
