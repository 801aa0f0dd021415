import Glibc

/// SIGTERM and SIGINT for a long-running process: blocked in the calling
/// thread (call it first, before any thread starts, so every later thread
/// inherits the mask and no handler runs on an arbitrary thread), then
/// taken synchronously by `wait()`, so the stop runs as ordinary code.
public enum StopSignals {
    public static func block() {
        var set = signals()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Waits for SIGTERM or SIGINT and returns its number.
    public static func wait() -> Int32 {
        var set = signals()
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
        return received
    }

    private static func signals() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        return set
    }
}
