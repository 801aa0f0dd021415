import Glibc

/// Reads a child's standard output and error as they come, whichever is
/// ready first, until both end or a deadline passes.
struct OutputDrain {
    private(set) var stdout: [UInt8] = []
    private(set) var stderr: [UInt8] = []
    private var outFD: Int32
    private var errFD: Int32

    init(stdout: Int32, stderr: Int32?) {
        outFD = stdout
        errFD = stderr ?? -1
    }

    /// True when both pipes ended; false when `deadline` (monotonic seconds) came first.
    mutating func run(until deadline: Double?) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while outFD >= 0 || errFD >= 0 {
            var waitMs: Int32 = -1
            if let deadline {
                let left = deadline - Monotonic.now
                if left <= 0 { return false }
                waitMs = Int32(min(left * 1000 + 1, Double(Int32.max)))
            }
            var fds = [pollfd(fd: outFD, events: Int16(POLLIN), revents: 0), pollfd(fd: errFD, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, waitMs)
            if ready < 0 {
                if errno == EINTR { continue }
                return false
            }
            if fds[0].revents != 0 { read(&outFD, into: &stdout, chunk: &chunk) }
            if fds[1].revents != 0 { read(&errFD, into: &stderr, chunk: &chunk) }
        }
        return true
    }

    /// One read from a ready descriptor; closes it (and marks it -1, which
    /// poll skips) at its end.
    private func read(_ fd: inout Int32, into buffer: inout [UInt8], chunk: inout [UInt8]) {
        let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n > 0 {
            buffer.append(contentsOf: chunk[0..<n])
        } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
            close(fd)
            fd = -1
        }
    }

    mutating func closeAll() {
        if outFD >= 0 { close(outFD); outFD = -1 }
        if errFD >= 0 { close(errFD); errFD = -1 }
    }
}
