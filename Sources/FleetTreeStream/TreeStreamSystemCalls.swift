import FleetTree
import Glibc

/// System calls the tree stream needs beyond ``Posix``, with the same
/// conventions: relative to a directory descriptor, never following symlinks,
/// failures as ``TreeProblem``.
enum TreeStreamSystemCalls {
    /// `SEEK_DATA` and `SEEK_HOLE` from <unistd.h>; Glibc hides them behind _GNU_SOURCE.
    static let seekData: Int32 = 3
    static let seekHole: Int32 = 4

    /// Owner of an open object. Without root a refusal is expected and ignored
    /// (the tree then stays owned by the caller, as with `tar`).
    static func setOwner(of descriptor: Int32, uid: UInt32, gid: UInt32, displayPath: String) throws {
        if fchown(descriptor, uid, gid) != 0 {
            let code = errno
            if !(code == EPERM && geteuid() != 0) { throw TreeProblem.system("chown", on: displayPath, errno: code) }
        }
    }

    /// Owner of `name` itself (a symlink is not followed).
    static func setOwner(at directory: Int32, name: [UInt8], uid: UInt32, gid: UInt32, displayPath: String) throws {
        if Posix.withCString(name, { fchownat(directory, $0, uid, gid, AT_SYMLINK_NOFOLLOW) }) != 0 {
            let code = errno
            if !(code == EPERM && geteuid() != 0) { throw TreeProblem.system("chown", on: displayPath, errno: code) }
        }
    }

    static func setMode(of descriptor: Int32, _ mode: UInt32, displayPath: String) throws {
        if fchmod(descriptor, mode_t(mode & 0o7777)) != 0 {
            throw TreeProblem.system("chmod", on: displayPath, errno: errno)
        }
    }

    /// Mode of a FIFO or device node this process just created under a
    /// temporary name (so it is known not to be a symlink; Linux cannot
    /// change a symlink's mode, and `fchmodat` has no dependable no-follow flag).
    static func setMode(at directory: Int32, name: [UInt8], _ mode: UInt32, displayPath: String) throws {
        if Posix.withCString(name, { fchmodat(directory, $0, mode_t(mode & 0o7777), 0) }) != 0 {
            throw TreeProblem.system("chmod", on: displayPath, errno: errno)
        }
    }

    /// Modification time of an open object; the access time is left alone.
    static func setModifiedTime(of descriptor: Int32, _ modified: timespec, displayPath: String) throws {
        var times = [timespec(tv_sec: 0, tv_nsec: Posix.timeOmit), modified]
        if futimens(descriptor, &times) != 0 {
            throw TreeProblem.system("set times of", on: displayPath, errno: errno)
        }
    }

    /// Modification time of `name` itself (a symlink is not followed).
    static func setModifiedTime(at directory: Int32, name: [UInt8], _ modified: timespec, displayPath: String) throws {
        var times = [timespec(tv_sec: 0, tv_nsec: Posix.timeOmit), modified]
        if Posix.withCString(name, { utimensat(directory, $0, &times, AT_SYMLINK_NOFOLLOW) }) != 0 {
            throw TreeProblem.system("set times of", on: displayPath, errno: errno)
        }
    }

    /// `fstatat` without following; nil when nothing has that name.
    static func statusIfPresent(at directory: Int32, name: [UInt8], displayPath: String) throws -> stat? {
        var result = stat()
        if Posix.withCString(name, { fstatat(directory, $0, &result, AT_SYMLINK_NOFOLLOW) }) == 0 { return result }
        let code = errno
        if code == ENOENT { return nil }
        throw TreeProblem.system("lstat", on: displayPath, errno: code)
    }

    /// `pread` retrying EINTR; returns 0 at end of file.
    static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int64, displayPath: String) throws -> Int {
        while true {
            let result = pread(descriptor, buffer, count, off_t(offset))
            if result >= 0 { return result }
            if errno == EINTR { continue }
            throw TreeProblem.system("read", on: displayPath, errno: errno)
        }
    }

    /// `pwrite` of all of `buffer` at `offset`, retrying short writes and EINTR.
    static func writeAll(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int64, displayPath: String) throws {
        var done = 0
        while done < buffer.count {
            let result = pwrite(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + Int64(done)))
            if result < 0 {
                if errno == EINTR { continue }
                throw TreeProblem.system("write", on: displayPath, errno: errno)
            }
            done += result
        }
    }

    static func kindName(ofMode mode: UInt32) -> String {
        switch Posix.kind(ofMode: mode) {
        case .file?: return "regular file"
        case .directory?: return "directory"
        case .symlink?: return "symlink"
        case .fifo?: return "FIFO"
        case .socket?: return "socket"
        case .charDevice?: return "character device"
        case .blockDevice?: return "block device"
        case nil: return "file of unknown type"
        }
    }
}
