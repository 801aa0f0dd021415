import Foundation

/// The controller's known_hosts file on disk.
enum KnownHostsFile {
    /// Makes sure the file exists before libssh appends to it: libssh would
    /// create it with the process umask (often world-readable) and, for a
    /// missing directory, with its own defaults. The file lists every host
    /// the controller manages, so keep it private: directory 0700, file 0600.
    static func prepare(_ path: String) throws(SSHError) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
            } catch {
                throw SSHError(
                    kind: .invalidArgument,
                    message: "cannot create directory \(directory) for known_hosts file \(path): \(error.localizedDescription) (check that the parent directory is writable)")
            }
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SSHError(
                kind: .invalidArgument,
                message: "cannot create known_hosts file \(path): \(String(cString: strerror(errno))) (check the path and that its directory is writable)")
        }
        close(fd)
    }
}
