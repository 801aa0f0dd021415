import FleetSystem
import Glibc

/// Thin wrappers over the system calls FleetTree uses, all relative to a
/// directory descriptor and none following symlinks unless stated.
///
/// Names are raw bytes because Linux file names need not be UTF-8; strings
/// are only made for messages.
package enum Posix {
    /// `UTIME_OMIT` from <sys/stat.h>; the Glibc module does not import it.
    package static let timeOmit = (1 << 30) - 2

    package static func describe(errno code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// Bytes of a path or name as text for messages (lossy for non-UTF-8 names).
    package static func display(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// Calls `body` with a NUL-terminated copy of `bytes`, made on the
    /// stack when it is short (a copy on the heap per name was a malloc and
    /// a free per entry of every walk).
    package static func withCString<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        try withUnsafeTemporaryAllocation(of: CChar.self, capacity: bytes.count + 1) { buffer in
            bytes.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source)
            }
            buffer[bytes.count] = 0
            return try body(UnsafePointer(buffer.baseAddress!))
        }
    }

    package static func kind(ofMode mode: UInt32) -> TreeEntryKind? {
        switch mode & UInt32(S_IFMT) {
        case UInt32(S_IFREG): return .file
        case UInt32(S_IFDIR): return .directory
        case UInt32(S_IFLNK): return .symlink
        case UInt32(S_IFIFO): return .fifo
        case UInt32(S_IFSOCK): return .socket
        case UInt32(S_IFCHR): return .charDevice
        case UInt32(S_IFBLK): return .blockDevice
        default: return nil
        }
    }

    /// Splits a Linux `dev_t` the way glibc's `major()`/`minor()` macros do
    /// (the macros themselves are not importable).
    package static func deviceNumbers(_ rdev: UInt64) -> (major: UInt64, minor: UInt64) {
        let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~UInt64(0xfff))
        let minor = (rdev & 0xff) | ((rdev >> 12) & ~UInt64(0xff))
        return (major, minor)
    }

    /// `lstat` of `name` inside `directory`.
    package static func status(at directory: Int32, name: [UInt8], displayPath: String) throws -> stat {
        var result = stat()
        let rc = withCString(name) { fstatat(directory, $0, &result, AT_SYMLINK_NOFOLLOW) }
        if rc != 0 { throw TreeProblem.system("lstat", on: displayPath, errno: errno) }
        return result
    }

    /// The same, with the entry's path as bytes: made into text only for a
    /// failure's message (a walk `lstat`s every entry).
    package static func status(at directory: Int32, name: [UInt8], path: [UInt8]) throws -> stat {
        var result = stat()
        let rc = withCString(name) { fstatat(directory, $0, &result, AT_SYMLINK_NOFOLLOW) }
        if rc != 0 { throw TreeProblem.system("lstat", on: display(path), errno: errno) }
        return result
    }

    /// Starts writing back a file's dirty pages without waiting (best effort).
    package static func startWriteBack(_ descriptor: Int32) {
        WriteBack.start(descriptor)
    }

    package static func status(of descriptor: Int32, displayPath: String) throws -> stat {
        var result = stat()
        if fstat(descriptor, &result) != 0 {
            throw TreeProblem.system("fstat", on: displayPath, errno: errno)
        }
        return result
    }

    /// Opens a directory by path from the caller (the one place a symlink may
    /// be followed: the root a caller names is theirs to choose). Listing it
    /// leaves its access time alone (NoAccessTime), as for every directory
    /// opened here.
    package static func openRoot(_ path: String) throws -> FileDescriptor {
        let fd = NoAccessTime.open({ open(path, $0) }, flags: O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw TreeProblem.system("open", on: path, errno: errno) }
        return FileDescriptor(adopting: fd)
    }

    /// Opens the subdirectory `name`, refusing to follow a symlink.
    package static func openDirectory(at directory: Int32, name: [UInt8], displayPath: String) throws -> FileDescriptor {
        let fd = withCString(name) { path in
            NoAccessTime.open({ openat(directory, path, $0) }, flags: O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        }
        if fd < 0 { throw TreeProblem.system("open directory", on: displayPath, errno: errno) }
        return FileDescriptor(adopting: fd)
    }

    /// Opens the regular file `name` for reading, refusing to follow a symlink
    /// (O_NONBLOCK so that a FIFO swapped in after lstat cannot hang the
    /// walk), without updating its access time (NoAccessTime).
    package static func openFileForReading(at directory: Int32, name: [UInt8], displayPath: String) throws -> FileDescriptor {
        let fd = openForReading(at: directory, name: name)
        if fd < 0 { throw TreeProblem.system("open", on: displayPath, errno: errno) }
        return FileDescriptor(adopting: fd)
    }

    /// `openat` of `name` for reading as ``openFileForReading(at:name:displayPath:)``
    /// does: the descriptor, or -1 with errno set, for callers that judge
    /// the errno themselves.
    package static func openForReading(at directory: Int32, name: [UInt8]) -> Int32 {
        withCString(name) { path in
            NoAccessTime.open({ openat(directory, path, $0) }, flags: O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        }
    }

    /// Opens `name` as a new regular file for writing and reading back
    /// (`O_EXCL`: fails if anything already has that name); reading it back
    /// leaves its access time alone (NoAccessTime). The descriptor, or -1
    /// with errno set.
    package static func createForWritingAndReading(at directory: Int32, name: [UInt8]) -> Int32 {
        withCString(name) { path in
            NoAccessTime.open({ openat(directory, path, $0, mode_t(0o600)) },
                              flags: O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC)
        }
    }

    /// Creates `name` as a new regular file; fails if anything already has that name.
    package static func createFile(at directory: Int32, name: [UInt8], displayPath: String) throws -> FileDescriptor {
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC
        let fd = withCString(name) { openat(directory, $0, flags, mode_t(0o600)) }
        if fd < 0 { throw TreeProblem.system("create file", on: displayPath, errno: errno) }
        return FileDescriptor(adopting: fd)
    }

    /// Names in a directory, without "." and "..", in the order the file system returns them.
    package static func entryNames(ofDirectory directory: Int32, displayPath: String) throws -> [[UInt8]] {
        // fdopendir takes ownership of its descriptor, so give it a duplicate.
        let duplicate = fcntl(directory, F_DUPFD_CLOEXEC, 0)
        if duplicate < 0 { throw TreeProblem.system("dup", on: displayPath, errno: errno) }
        guard let stream = fdopendir(duplicate) else {
            let code = errno
            close(duplicate)
            throw TreeProblem.system("fdopendir", on: displayPath, errno: code)
        }
        defer { closedir(stream) }
        // The duplicate shares the file offset; a directory read before must start over.
        rewinddir(stream)
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw TreeProblem.system("readdir", on: displayPath, errno: errno) }
                return names
            }
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw -> [UInt8] in
                let bytes = raw.bindMemory(to: UInt8.self)
                let length = bytes.firstIndex(of: 0) ?? bytes.count
                return Array(bytes[0..<length])
            }
            if name == [0x2e] || name == [0x2e, 0x2e] { continue }
            names.append(name)
        }
    }

    /// The target of the symlink `name`, exactly as stored.
    package static func readLink(at directory: Int32, name: [UInt8], displayPath: String) throws -> [UInt8] {
        var capacity = 256
        while true {
            var buffer = [UInt8](repeating: 0, count: capacity)
            let count = withCString(name) { cName in
                buffer.withUnsafeMutableBufferPointer { out in
                    out.withMemoryRebound(to: CChar.self) { readlinkat(directory, cName, $0.baseAddress!, capacity) }
                }
            }
            if count < 0 { throw TreeProblem.system("readlink", on: displayPath, errno: errno) }
            // A full buffer may mean truncation; grow until the target fits with room to spare.
            if count < capacity { return Array(buffer[0..<count]) }
            capacity *= 4
        }
    }

    /// `read` that retries on EINTR; returns 0 at end of file.
    package static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, displayPath: String) throws -> Int {
        while true {
            let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw TreeProblem.system("read", on: displayPath, errno: errno)
        }
    }

    /// Writes all of `buffer`, retrying short writes and EINTR.
    package static func writeAll(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer, displayPath: String) throws {
        var offset = 0
        while offset < buffer.count {
            let count = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                throw TreeProblem.system("write", on: displayPath, errno: errno)
            }
            offset += count
        }
    }

    /// Sets owner, mode and modification time of an open object, in the order
    /// that keeps setuid/setgid bits (chown clears them, so it goes first).
    package static func applyMetadata(
        to descriptor: Int32, uid: UInt32?, gid: UInt32?, mode: UInt32, modified: timespec?, displayPath: String
    ) throws {
        if let uid, let gid, fchown(descriptor, uid, gid) != 0 {
            let code = errno
            if !ownershipErrorIsExpected(code) { throw TreeProblem.system("chown", on: displayPath, errno: code) }
        }
        if fchmod(descriptor, mode_t(mode & 0o7777)) != 0 {
            throw TreeProblem.system("chmod", on: displayPath, errno: errno)
        }
        if let modified {
            var times = [timespec(tv_sec: 0, tv_nsec: timeOmit), modified]
            if futimens(descriptor, &times) != 0 {
                throw TreeProblem.system("set times of", on: displayPath, errno: errno)
            }
        }
    }

    /// Owner and times of a symlink, without following it (a symlink's mode cannot be set on Linux).
    package static func applySymlinkMetadata(
        at directory: Int32, name: [UInt8], uid: UInt32, gid: UInt32, modified: timespec?, displayPath: String
    ) throws {
        try changeOwnerWithoutFollowing(at: directory, name: name, uid: uid, gid: gid, displayPath: displayPath)
        if let modified {
            try setModifiedTimeWithoutFollowing(at: directory, name: name, modified: modified, displayPath: displayPath)
        }
    }

    /// Owner, mode and times of a FIFO, socket or device node (which cannot
    /// be opened without side effects, so they are set by name).
    package static func applyNodeMetadata(
        at directory: Int32, name: [UInt8], uid: UInt32, gid: UInt32, mode: UInt32, modified: timespec?,
        displayPath: String
    ) throws {
        try changeOwnerWithoutFollowing(at: directory, name: name, uid: uid, gid: gid, displayPath: displayPath)
        // fchmodat has no dependable no-follow mode on older kernels; the node
        // was just created by us in a directory we control, so it is not a symlink.
        if withCString(name, { fchmodat(directory, $0, mode_t(mode & 0o7777), 0) }) != 0 {
            throw TreeProblem.system("chmod", on: displayPath, errno: errno)
        }
        if let modified {
            try setModifiedTimeWithoutFollowing(at: directory, name: name, modified: modified, displayPath: displayPath)
        }
    }

    private static func changeOwnerWithoutFollowing(
        at directory: Int32, name: [UInt8], uid: UInt32, gid: UInt32, displayPath: String
    ) throws {
        if withCString(name, { fchownat(directory, $0, uid, gid, AT_SYMLINK_NOFOLLOW) }) != 0 {
            let code = errno
            if !ownershipErrorIsExpected(code) { throw TreeProblem.system("chown", on: displayPath, errno: code) }
        }
    }

    private static func setModifiedTimeWithoutFollowing(
        at directory: Int32, name: [UInt8], modified: timespec, displayPath: String
    ) throws {
        var times = [timespec(tv_sec: 0, tv_nsec: timeOmit), modified]
        if withCString(name, { utimensat(directory, $0, &times, AT_SYMLINK_NOFOLLOW) }) != 0 {
            throw TreeProblem.system("set times of", on: displayPath, errno: errno)
        }
    }

    /// Without root, files simply stay owned by the caller, as with `tar`;
    /// as root a chown failure is real and reported.
    private static func ownershipErrorIsExpected(_ code: Int32) -> Bool {
        code == EPERM && geteuid() != 0
    }
}
