import Glibc

/// A POSIX thread running a Swift closure, joined by whoever started it.
///
/// For work that must not wait on Swift's cooperative pool (a walk's or a
/// stream's threads block in system calls for their whole life) and whose
/// starter waits for it to end.
public struct JoinableThread {
    private let handle: pthread_t

    /// Starts `body` on a new thread, for `purpose` (said in the error);
    /// throws pthread_create's error number (EAGAIN: the process or the
    /// system has no thread left).
    public init(for purpose: String, _ body: @escaping () -> Void) throws(SystemError) {
        let start = JoinableThreadStart(body)
        // The thread owns its start until it ends.
        let context = Unmanaged.passRetained(start).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { raw in
            Unmanaged<JoinableThreadStart>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<JoinableThreadStart>.fromOpaque(context).release()
            throw SystemError("start a thread for", purpose, errno: result)
        }
        handle = thread
    }

    /// Waits for the thread to end.
    public func join() {
        pthread_join(handle, nil)
    }
}

/// What a thread runs, passed through `pthread_create`'s context.
private final class JoinableThreadStart {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}
