import Foundation

/// Chunks between the relay's reader (source host) and writer (destination
/// host), bounded in bytes: the two hops run at once instead of taking
/// turns, and a slow destination holds the source back, not the memory.
///
/// @unchecked: every stored `var` is read and written only while `condition`
/// is locked (each method takes it first). A `Mutex` would let the compiler
/// check that, but a bounded queue's two ends must sleep until the other
/// changes the state, and only a condition variable waits with its lock.
final class RelayQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [Data] = []
    private var head = 0
    private var bytes = 0
    private var closed = false
    private var failed = false
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Waits for room; false when the consumer failed (stop reading).
    func push(_ data: Data) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while bytes >= capacity && !failed { condition.wait() }
        if failed { return false }
        chunks.append(data)
        bytes += data.count
        condition.broadcast()
        return true
    }

    /// The next chunk; nil once closed and drained.
    func pop() -> Data? {
        condition.lock()
        defer { condition.unlock() }
        while head == chunks.count && !closed { condition.wait() }
        guard head < chunks.count else { return nil }
        let data = chunks[head]
        head += 1
        if head > 256 {
            chunks.removeFirst(head)
            head = 0
        }
        bytes -= data.count
        condition.broadcast()
        return data
    }

    /// No more chunks will come.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The producer gave up: what is queued is dropped, the consumer ends.
    func abandon() {
        condition.lock()
        chunks.removeAll()
        head = 0
        bytes = 0
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The consumer gave up: producers stop.
    func fail() {
        condition.lock()
        failed = true
        condition.broadcast()
        condition.unlock()
    }
}
