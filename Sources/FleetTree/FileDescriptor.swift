import Glibc

/// An open file descriptor that is closed exactly once, when the value dies.
///
/// Walks and extractions open thousands of descriptors on error-prone paths;
/// tying `close` to ownership means no early `throw` can leak one. Code hands
/// `raw` to calls within the owning binding's scope; that is sound because an
/// unconsumed noncopyable binding lives until the end of its scope.
package struct FileDescriptor: ~Copyable {
    package let raw: Int32

    package init(adopting raw: Int32) {
        self.raw = raw
    }

    deinit {
        // close() errors on a read-only or directory descriptor carry no
        // information we could act on; written files are checked with
        // closeChecked() instead.
        _ = Glibc.close(raw)
    }

    /// Closes now and reports a failure, for files whose writes must be known
    /// to have reached the file system (NFS and quotas report errors at close).
    package consuming func closeChecked(displayPath: String) throws {
        let descriptor = raw
        discard self
        if Glibc.close(descriptor) != 0 {
            throw TreeProblem.system("close", on: displayPath, errno: errno)
        }
    }

    /// Hands the descriptor over without closing it: the caller closes it
    /// (a walk queues an open directory for another thread).
    package consuming func release() -> Int32 {
        let descriptor = raw
        discard self
        return descriptor
    }
}
