import FleetProtocol
import Foundation
import Glibc

/// State files are replaced atomically: write a temporary file, fsync it,
/// rename it over the old one, fsync the directory. A crash leaves either
/// the old or the new content, never a torn file.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o600) throws(FleetError) {
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = dir + "/.tmp-" + (path as NSString).lastPathComponent + "-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .failed("cannot write \(path): \(String(cString: strerror(errno)))") }
        var ok = data.withUnsafeBytes { raw -> Bool in
            var off = 0
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 { if errno == EINTR { continue }; return false }
                off += n
            }
            return true
        }
        ok = ok && fsync(fd) == 0
        let err = errno
        close(fd)
        guard ok else {
            unlink(tmp)
            throw .failed("cannot write \(path): \(String(cString: strerror(err))) (is the disk full?)")
        }
        guard rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw .failed("cannot replace \(path): \(String(cString: strerror(e)))")
        }
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }

    public static func writeJSON<T: Encodable>(_ value: T, to path: String) throws(FleetError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try encoder.encode(value) } catch { throw .failed("cannot encode \(path): \(error)") }
        try write(data + Data("\n".utf8), to: path)
    }

    public static func readJSON<T: Decodable>(_ type: T.Type, from path: String) throws(FleetError) -> T {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .notFound("cannot read \(path): no such file")
        }
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw .failed("cannot read \(path): it is not valid (\(error)); restore it from a backup or remove the entry")
        }
    }
}
