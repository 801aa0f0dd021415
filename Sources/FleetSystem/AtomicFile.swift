import Glibc

/// Replaces a file so that a crash leaves the old or the new content, never
/// a torn file: write a temporary file next to it, fsync it, rename it over
/// the old one, fsync the directory.
public enum AtomicFile {
    public static func replace(_ path: String, with bytes: some Collection<UInt8>, mode: mode_t = 0o600) throws(SystemError) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let tmp = (directory == "/" ? "" : directory) + "/.tmp-" + name + "-\(getpid())"
        // A fresh file, so that `mode` holds from the first byte (a leftover
        // temporary file could have been made more open).
        unlink(tmp)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw SystemError("write", path, errno: errno) }
        let written = Array(bytes).withUnsafeBytes { raw -> Int32 in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return fsync(fd) == 0 ? 0 : errno
        }
        close(fd)
        guard written == 0 else {
            unlink(tmp)
            throw SystemError("write", path, errno: written)
        }
        guard rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw SystemError("replace", path, errno: e)
        }
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }
}
