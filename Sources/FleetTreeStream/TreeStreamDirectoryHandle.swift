import Glibc

/// A directory of the receiving tree, opened by the applier's thread without
/// following symlinks and shared with the writer threads creating files in
/// it: closed when the last of them lets go, so no descriptor is duplicated
/// per file.
final class TreeStreamDirectoryHandle: @unchecked Sendable {
    /// Never closed before deinit; only used for *at() calls relative to it.
    let fd: Int32

    init(adopting fd: Int32) {
        self.fd = fd
    }

    deinit {
        close(fd)
    }
}
