import FleetSystem
import FleetTree
import Glibc

/// Writer threads that create a stream's regular files while the applier's
/// thread goes on reading it.
///
/// For many small files the receiver's time is the kernel creating them
/// (`openat(O_CREAT)`, `pwrite`, `fchown`, `fchmod`, `utimensat`), and one
/// thread cannot go faster than those calls; files of different
/// directories, and most of the work of files of one, can be created at the
/// same time. The applier still reads, checks and orders everything: a
/// writer only creates a new name relative to a directory descriptor the
/// applier opened without following symlinks, and hands back a job whose
/// name exists (a replacement is the applier's). Jobs are bounded in number
/// and bytes, so a fast sender cannot fill memory.
final class TreeStreamFileWriters: @unchecked Sendable {
    /// Each queued job holds its directory open: few enough that a tree of
    /// one file per directory stays far below the usual limit of 1024
    /// descriptors, and still many more than the writers can fall behind by.
    static let maximumQueuedJobs = 256
    static let maximumQueuedBytes = 32 << 20

    /// Guards everything below it; the two conditions wait on it.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Writers wait here for a job or for the stop.
    private let jobQueued = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// The applier waits here for room in the queue or for the writers to be idle.
    private let jobDone = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var queue: [TreeStreamFileJob?] = []
    private var head = 0
    private var queuedBytes = 0
    private var busy = 0
    private var written: [TreeStreamWrittenFile] = []
    private var nameExists: [TreeStreamFileJob] = []
    private var failure: (any Error)?
    private var stopping = false
    private var threads: [JoinableThread] = []
    private let hashes: Bool

    /// Starts `count` writer threads; `hashes`: each file's digest is read back as the applier's own are.
    init(count: Int, hashes: Bool) throws {
        self.hashes = hashes
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(jobQueued, nil)
        pthread_cond_init(jobDone, nil)
        for _ in 0..<count {
            do {
                // Each thread holds the writers until it ends, so they outlive it.
                threads.append(try JoinableThread(for: "a stream's writer") { self.work() })
            } catch {
                stop()
                throw TreeProblem.system("start a writer thread", on: ".", errno: error.errno)
            }
        }
    }

    deinit {
        pthread_cond_destroy(jobDone)
        pthread_cond_destroy(jobQueued)
        pthread_mutex_destroy(mutex)
        jobDone.deallocate()
        jobQueued.deallocate()
        mutex.deallocate()
    }

    /// Queues a file, waiting while the queue is full; throws a writer's
    /// failure instead (the first one), after which nothing more is written.
    func submit(_ job: TreeStreamFileJob) throws {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while failure == nil
            && (queue.count - head >= Self.maximumQueuedJobs
                || (queuedBytes > 0 && queuedBytes + job.data.count > Self.maximumQueuedBytes)) {
            pthread_cond_wait(jobDone, mutex)
        }
        if let failure { throw failure }
        queuedBytes += job.data.count
        queue.append(job)
        pthread_cond_signal(jobQueued)
    }

    /// Waits until every queued file is done; returns the digest records of
    /// those created and the jobs whose names existed, or throws the first failure.
    func drain() throws -> (written: [TreeStreamWrittenFile], nameExists: [TreeStreamFileJob]) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while failure == nil && (head < queue.count || busy > 0) {
            pthread_cond_wait(jobDone, mutex)
        }
        if let failure { throw failure }
        defer {
            written.removeAll(keepingCapacity: true)
            nameExists.removeAll()
        }
        return (written, nameExists)
    }

    /// Ends the threads once their current file is done; queued files are
    /// dropped. Called once, by the applier, on success or failure.
    func stop() {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_broadcast(jobQueued)
        pthread_mutex_unlock(mutex)
        for thread in threads { thread.join() }
        threads = []
        pthread_mutex_lock(mutex)
        dropQueue()
        pthread_mutex_unlock(mutex)
    }

    private func work() {
        let hasher = hashes ? FileContentHasher() : nil
        pthread_mutex_lock(mutex)
        while true {
            while !stopping && head == queue.count { pthread_cond_wait(jobQueued, mutex) }
            if stopping { break }
            let job = queue[head]!
            queue[head] = nil
            head += 1
            if head >= 1024 && head * 2 >= queue.count {
                queue.removeFirst(head)
                head = 0
            }
            busy += 1
            pthread_mutex_unlock(mutex)
            let outcome = Result { try job.create(hasher: hasher) }
            pthread_mutex_lock(mutex)
            busy -= 1
            queuedBytes -= job.data.count
            switch outcome {
            case .success(.created(let record)):
                if let record { written.append(record) }
            case .success(.nameExists(let job)):
                nameExists.append(job)
            case .failure(let error):
                if failure == nil { failure = error }
                dropQueue()
            }
            pthread_cond_broadcast(jobDone)
        }
        pthread_mutex_unlock(mutex)
    }

    /// With the mutex held.
    private func dropQueue() {
        for index in head..<queue.count { queuedBytes -= queue[index]?.data.count ?? 0 }
        queue.removeAll()
        head = 0
    }
}
