import CFleetShim
import Glibc

/// A guest's file tree seen from the host, opened once (a running guest's
/// root through its init, or a template's rootfs) so that every path is
/// resolved inside it: see fleet_guestpath.h for what is refused. Every file
/// is opened non-blocking, without following a final symbolic link, checked
/// to be a regular file before a byte is read, and read up to a bound: what
/// a guest's root puts at a path (a FIFO, a device, a link to a host file,
/// a file of gigabytes) can neither hang, mislead nor swamp the agent.
public final class GuestTree {
    private let fd: Int32
    /// For messages: where the tree was opened.
    public let origin: String
    /// Tests set it to check the walk older kernels get.
    var componentWalkOnly = false

    /// The root of a running process: /proc/PID/root (the one magic link
    /// followed, from the host's side).
    public convenience init(rootOfProcess pid: pid_t) throws(KernelError) {
        try self.init(directory: "/proc/\(pid)/root")
    }

    public init(directory: String) throws(KernelError) {
        fd = Glibc.open(directory, VF_O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .current("open the guest tree", directory) }
        origin = directory
    }

    deinit { close(fd) }

    /// The content of the regular file at `path`; a file longer than `limit`
    /// is refused (a guest's /etc/passwd has no business being megabytes).
    public func read(_ path: String, limit: Int) throws(KernelError) -> [UInt8] {
        let file = openInTree(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC)
        guard file >= 0 else { throw .current("open guest file", describe(path)) }
        defer { close(file) }
        var st = stat()
        guard fstat(file, &st) == 0 else { throw .current("stat guest file", describe(path)) }
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw KernelError("read guest file", describe(path), errno: EINVAL, hint: "not a regular file")
        }
        guard st.st_size <= limit else {
            throw KernelError("read guest file", describe(path), errno: EFBIG, hint: "\(st.st_size) bytes, more than the \(limit) read")
        }
        var bytes = [UInt8](repeating: 0, count: limit + 1)
        var count = 0
        while count <= limit {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(file, $0.baseAddress! + count, $0.count - count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .current("read guest file", describe(path))
            }
            if n == 0 { break }
            count += n
        }
        // Grown since fstat: refused like a file that was long already.
        guard count <= limit else {
            throw KernelError("read guest file", describe(path), errno: EFBIG, hint: "more than the \(limit) bytes read")
        }
        return Array(bytes[0..<count])
    }

    /// Whether `path` names a regular file (symbolic links followed, inside
    /// the tree only); false for anything that cannot be resolved safely.
    public func isRegularFile(_ path: String) -> Bool {
        fileType(path, followLastLink: true) == S_IFREG
    }

    /// Whether `path` names a directory (links are not followed).
    public func isDirectory(_ path: String) -> Bool {
        fileType(path, followLastLink: false) == S_IFDIR
    }

    /// Whether anything is at `path` (a final link is not followed).
    public func exists(_ path: String) -> Bool {
        fileType(path, followLastLink: false) != nil
    }

    /// The target of the symbolic link at `path` (its directories resolved
    /// inside the tree); nil when `path` is no link.
    public func linkTarget(_ path: String) -> String? {
        let file = openInTree(path, VF_O_PATH | O_NOFOLLOW | O_CLOEXEC)
        guard file >= 0 else { return nil }
        defer { close(file) }
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX))
        let n = buffer.withUnsafeMutableBufferPointer { b in
            b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { readlinkat(file, "", $0, b.count) }
        }
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    private func fileType(_ path: String, followLastLink: Bool) -> mode_t? {
        let file = openInTree(path, VF_O_PATH | O_CLOEXEC | (followLastLink ? 0 : O_NOFOLLOW))
        guard file >= 0 else { return nil }
        defer { close(file) }
        var st = stat()
        guard fstat(file, &st) == 0 else { return nil }
        return st.st_mode & S_IFMT
    }

    private func openInTree(_ path: String, _ flags: Int32) -> Int32 {
        componentWalkOnly ? vf_open_in_root_walk(fd, path, flags) : vf_open_in_root(fd, path, flags)
    }

    private func describe(_ path: String) -> String { "\(path) in \(origin)" }
}
