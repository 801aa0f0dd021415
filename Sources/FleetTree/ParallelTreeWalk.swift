import FleetSystem
import Glibc

/// ``TreeWalker``'s walk on several threads, for walks whose result is
/// sorted afterwards (a digest, a scan): the directories below the root are
/// shared out, each read whole by one thread.
///
/// A digest of a layer of 50,000 cached files is mostly `getdents`, `lstat`
/// and a table lookup per entry, all on one core while the others idle; a
/// move does three of them after its pre-copy (adopt's, and the source's
/// twice). Every step is still relative to an open parent without following
/// a symlink, and a directory swapped between its `lstat` and its `open` is
/// refused, as in ``TreeWalker``.
package enum ParallelTreeWalk {
    /// Threads for a walk: one per core, at most 4 (a walk is much of it
    /// kernel work on shared directory and inode caches, and a digest's
    /// thread holds a 1 MiB read buffer; where more threads stop helping
    /// was not measured, on 2-core machines).
    package static var defaultThreads: Int {
        max(1, min(4, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
    }

    /// Calls `visit` for every entry below the directory `root` (not the
    /// root itself), a directory before its content, on up to `threads`
    /// threads. Each thread has its own state, made by `makeState`, which
    /// only its `visit` calls change; the states are returned (in no
    /// particular order of entries: callers sort). `visit` runs on several
    /// threads at once: what it reads besides its state must not change.
    /// The first failure ends the walk and is thrown once every thread
    /// has stopped. After the walk each thread calls `finish` on its own
    /// state (sorting what it found: the threads sort side by side).
    ///
    /// A directory is opened before its visit, which gets its descriptor.
    /// With `skipVanished` (a running guest's tree), an entry that went
    /// away or was replaced while the walk looked is left out with what is
    /// below it, as is one whose visit throws such a problem
    /// (``TreeScanner/vanished(_:)``), instead of failing the walk.
    package static func walk<State>(root: Int32, threads: Int, skipVanished: Bool = false, makeState: () -> State,
                                    visit: (inout State, WalkedEntry) throws -> Void,
                                    finish: (inout State) -> Void = { _ in }) throws -> [State] {
        let count = max(1, threads)
        let states = UnsafeMutablePointer<State>.allocate(capacity: count)
        for index in 0..<count { (states + index).initialize(to: makeState()) }
        defer {
            states.deinitialize(count: count)
            states.deallocate()
        }
        // The walk closes each directory it has read; the root stays the caller's.
        let first = fcntl(root, F_DUPFD_CLOEXEC, 0)
        if first < 0 { throw TreeProblem.system("dup", on: ".", errno: errno) }
        let queue = ParallelWalkQueue(threads: count, root: first)
        withoutActuallyEscaping(visit) { visit in withoutActuallyEscaping(finish) { finish in
            let work: (Int) -> Void = { index in
                let succeeded = queue.work { directory in
                    try walkDirectory(directory.fd, path: directory.path, skipVanished: skipVanished, state: &states[index],
                                      queue: queue, visit: visit)
                }
                if succeeded { finish(&states[index]) }
            }
            var started: [JoinableThread] = []
            for index in 1..<count {
                do {
                    started.append(try JoinableThread(for: "a tree walk") { work(index) })
                } catch {
                    // Fewer threads only make the walk slower, never different.
                    queue.threadDidNotStart()
                }
            }
            work(0)
            for thread in started { thread.join() }
        } }
        if let failure = queue.failure { throw failure }
        return (0..<count).map { states[$0] }
    }

    private static func walkDirectory<State>(_ directory: Int32, path: [UInt8], skipVanished: Bool, state: inout State,
                                             queue: ParallelWalkQueue,
                                             visit: (inout State, WalkedEntry) throws -> Void) throws {
        let names = try Posix.entryNames(ofDirectory: directory, displayPath: path.isEmpty ? "." : Posix.display(path))
        for name in names {
            var childPath: [UInt8] = []
            childPath.reserveCapacity(path.count + 1 + name.count)
            if !path.isEmpty {
                childPath += path
                childPath.append(0x2f)
            }
            childPath += name
            do {
                let status = try Posix.status(at: directory, name: name, path: childPath)
                guard status.st_mode & S_IFMT == S_IFDIR else {
                    try visit(&state, WalkedEntry(parentFD: directory, name: name, path: childPath, status: status))
                    continue
                }
                let displayPath = Posix.display(childPath)
                let child = try Posix.openDirectory(at: directory, name: name, displayPath: displayPath)
                let opened = try Posix.status(of: child.raw, displayPath: displayPath)
                // The name could have been swapped for another directory between
                // lstat and open; refuse rather than describe the wrong object.
                guard opened.st_dev == status.st_dev && opened.st_ino == status.st_ino else {
                    if skipVanished { continue }
                    throw TreeProblem(
                        path: displayPath,
                        problem: "directory \"\(displayPath)\" was replaced while the tree was being read",
                        remedy: "stop whatever is modifying the tree and retry"
                    )
                }
                try visit(&state, WalkedEntry(parentFD: directory, name: name, path: childPath, status: status, directoryFD: child.raw))
                guard queue.wantsMore else {
                    try walkDirectory(child.raw, path: childPath, skipVanished: skipVanished, state: &state, queue: queue, visit: visit)
                    continue
                }
                // The queue closes it once a thread has read it.
                queue.push(ParallelWalkDirectory(fd: child.release(), path: childPath))
            } catch let problem as TreeProblem where skipVanished && TreeScanner.vanished(problem) {
                continue
            }
        }
    }
}
