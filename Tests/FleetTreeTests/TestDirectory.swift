import Foundation
import Glibc

/// Helpers for building file trees in per-test temporary directories.
enum TestDirectory {
    /// A new empty directory under the system temporary directory; the test
    /// removes it with `defer { TestDirectory.remove(path) }`.
    static func make() throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("FleetTreeTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        return url.path
    }

    static func remove(_ path: String) {
        // Extracted trees may contain read-only directories; make them
        // writable first so removal also works without root.
        _ = try? Shell.run("chmod -R u+rwX '\(path)' 2>/dev/null; rm -rf '\(path)'")
    }

    static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws {
        try check(mkdir(path, mode), "mkdir", path)
        try check(chmod(path, mode), "chmod", path)
    }

    static func writeFile(_ path: String, _ content: String, mode: mode_t = 0o644) throws {
        try writeFile(path, Array(content.utf8), mode: mode)
    }

    static func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        try check(chmod(path, mode), "chmod", path)
    }

    static func symlink(_ path: String, to target: String) throws {
        try check(Glibc.symlink(target, path), "symlink", path)
    }

    static func hardLink(_ path: String, to existing: String) throws {
        try check(link(existing, path), "link", path)
    }

    static func chown(_ path: String, uid: uid_t, gid: gid_t) throws {
        try check(lchown(path, uid, gid), "lchown", path)
    }

    static func lstatus(_ path: String) throws -> stat {
        var result = stat()
        try check(lstat(path, &result), "lstat", path)
        return result
    }

    /// The earliest ctime (seconds since the epoch) of the regular files
    /// below `root`: a digest cache whose hashing "began" within the racy
    /// window after it trusts none of them, however long making them took.
    static func earliestFileChange(under root: String) throws -> Double {
        // readdir on byte names: test trees hold names that are not UTF-8.
        func walk(_ fd: Int32) -> Double {
            guard let dir = fdopendir(fd) else { close(fd); return .infinity }
            defer { closedir(dir) }
            var earliest = Double.infinity
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    Array(raw.prefix(while: { $0 != 0 }))
                }
                if name == [46] || name == [46, 46] { continue }
                var st = stat()
                let cName = name.map { CChar(bitPattern: $0) } + [0]
                guard fstatat(dirfd(dir), cName, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                switch st.st_mode & S_IFMT {
                case S_IFREG:
                    earliest = min(earliest, Double(st.st_ctim.tv_sec) + Double(st.st_ctim.tv_nsec) / 1e9)
                case S_IFDIR:
                    let child = openat(dirfd(dir), cName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    if child >= 0 { earliest = min(earliest, walk(child)) }
                default:
                    break
                }
            }
            return earliest
        }
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw TestFailure("open \(root): \(String(cString: strerror(errno)))") }
        let earliest = walk(fd)
        guard earliest.isFinite else { throw TestFailure("no regular file below \(root)") }
        return earliest
    }

    static func isEmpty(_ path: String) throws -> Bool {
        try FileManager.default.contentsOfDirectory(atPath: path).isEmpty
    }

    private static func check(_ result: Int32, _ call: String, _ path: String) throws {
        if result != 0 {
            throw TestFailure("\(call) \(path): \(String(cString: strerror(errno)))")
        }
    }
}
