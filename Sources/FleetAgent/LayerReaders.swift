import Glibc

/// Who reads a guest's disk: each reader holds a shared flock on
/// locks/disk-NAME.readers; whoever gets it exclusively is the last.
final class LayerReaders {
    private let fd: Int32

    init?(file: String) {
        fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 { return nil }
    }

    func share() {
        while flock(fd, LOCK_SH) != 0 && errno == EINTR {}
    }

    /// Turns this process's hold into the only one, if no other holds it.
    func noneOther() -> Bool {
        flock(fd, LOCK_EX | LOCK_NB) == 0
    }

    deinit { close(fd) }
}
