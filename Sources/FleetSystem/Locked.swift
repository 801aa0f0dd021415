import Synchronization

/// State shared between threads behind a `Mutex`, in a class so that it can
/// be stored and passed around: the compiler checks that every access holds
/// the lock, which `NSLock` next to a `var` cannot.
public final class Locked<Value: ~Copyable>: Sendable {
    private let mutex: Mutex<Value>

    public init(_ value: consuming sending Value) {
        mutex = Mutex(value)
    }

    public func withLock<Result: ~Copyable, E: Error>(_ body: (inout sending Value) throws(E) -> sending Result) throws(E) -> sending Result {
        try mutex.withLock(body)
    }
}
