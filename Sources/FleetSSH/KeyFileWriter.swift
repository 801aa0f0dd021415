import FleetSystem
import Foundation

/// Writes key files with their final permissions from the first byte, so a
/// private key is never readable by others, not even for a moment.
enum KeyFileWriter {
    /// Creates `path` (which must not exist) with `mode` and writes `bytes`.
    /// On failure the file is removed.
    static func createExclusive(_ path: String, mode: mode_t, bytes: UnsafeRawBufferPointer) throws(SSHError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure("create", path) }
        var written = 0
        while written < bytes.count, let base = bytes.baseAddress {
            let rc = Foundation.write(fd, base + written, bytes.count - written)
            if rc < 0, errno == EINTR { continue }
            guard rc > 0 else {
                let error = failure("write", path)
                close(fd)
                unlink(path)
                throw error
            }
            written += rc
        }
        // A key that vanishes on power loss would lock the controller out.
        guard fsync(fd) == 0 else {
            let error = failure("sync", path)
            close(fd)
            unlink(path)
            throw error
        }
        close(fd)
    }

    /// Replaces `path` atomically (temp file + rename) with `text`.
    static func replace(_ path: String, mode: mode_t, text: String) throws(SSHError) {
        do { try AtomicFile.replace(path, with: text.utf8, mode: mode) } catch {
            throw SSHError(kind: .invalidArgument, message: "\(error) (check the path and that its directory is writable)")
        }
    }

    private static func failure(_ verb: String, _ path: String) -> SSHError {
        SSHError(
            kind: .invalidArgument,
            message: "cannot \(verb) key file \(path): \(String(cString: strerror(errno))) (check the path and that its directory is writable)")
    }
}
