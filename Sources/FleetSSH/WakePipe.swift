import Foundation

/// A pipe one thread polls and others write a byte into to wake it up.
/// (Glibc's module map does not export eventfd, which would do the same.)
struct WakePipe {
    let readEnd: Int32
    let writeEnd: Int32

    /// nil if the process is out of descriptors; callers then fall back to
    /// short re-check intervals.
    init?() {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return nil }
        for fd in ends {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    /// Wakes the poller; a full pipe already means "wake up", so a failed
    /// write is fine.
    func signal() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    func close() {
        _ = Foundation.close(readEnd)
        _ = Foundation.close(writeEnd)
    }
}
