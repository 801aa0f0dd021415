import Glibc

/// A directory a ``ParallelTreeWalk`` has opened and not read yet.
struct ParallelWalkDirectory {
    /// Owned by the queue until a thread takes it, then by that thread.
    let fd: Int32
    let path: [UInt8]
}

/// The directories of a ``ParallelTreeWalk`` waiting for a thread, and
/// when the walk is over: no directory waits and no thread reads one, or a
/// thread failed.
final class ParallelWalkQueue: @unchecked Sendable {
    /// Each waiting directory holds a descriptor: a thread that finds this
    /// many waiting reads its subdirectory itself, depth first, so a wide
    /// tree cannot run the process out of descriptors.
    static let maximumWaiting = 128

    /// Guards everything below it.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Idle threads wait here for a directory or for the end.
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var waiting: [ParallelWalkDirectory] = []
    /// Threads reading a directory now.
    private var busy = 0
    /// Threads that may still take a directory.
    private var threads: Int
    /// Read without the mutex only once every thread has ended.
    private(set) var failure: (any Error)?

    init(threads: Int, root: Int32) {
        self.threads = threads
        waiting.append(ParallelWalkDirectory(fd: root, path: []))
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        // Directories left by a failure.
        for directory in waiting { close(directory.fd) }
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    /// Whether a subdirectory should be queued for any thread rather than
    /// read now by the one that found it: only when another thread may be
    /// idle, and while few wait.
    var wantsMore: Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return threads > 1 && failure == nil && waiting.count < Self.maximumWaiting
    }

    func push(_ directory: ParallelWalkDirectory) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        waiting.append(directory)
        pthread_cond_signal(changed)
    }

    /// A thread of the walk could not be started: fewer take directories.
    func threadDidNotStart() {
        pthread_mutex_lock(mutex)
        threads -= 1
        pthread_mutex_unlock(mutex)
    }

    /// One thread's part: reads directories with `read` until none is left
    /// and no other thread may queue more, or one failed. Each directory's
    /// descriptor is closed after `read`. Whether the walk succeeded: once
    /// one thread's loop ends, no thread fails any more.
    @discardableResult
    func work(_ read: (ParallelWalkDirectory) throws -> Void) -> Bool {
        pthread_mutex_lock(mutex)
        while true {
            while failure == nil && waiting.isEmpty && busy > 0 { pthread_cond_wait(changed, mutex) }
            guard failure == nil, let directory = waiting.popLast() else { break }
            busy += 1
            pthread_mutex_unlock(mutex)
            let outcome = Result { try read(directory) }
            close(directory.fd)
            pthread_mutex_lock(mutex)
            busy -= 1
            if case .failure(let error) = outcome, failure == nil { failure = error }
            // Waiters look again: more directories, the end, or a failure.
            pthread_cond_broadcast(changed)
        }
        pthread_cond_broadcast(changed)
        let succeeded = failure == nil
        pthread_mutex_unlock(mutex)
        return succeeded
    }
}
