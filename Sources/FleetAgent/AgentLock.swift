import FleetProtocol
import Glibc

/// Serialises changes between agent processes on one host (an rpc session
/// and an operator's command at the same time): an flock on a lock file,
/// the agent's (agent.lock) or one guest's (locks/guest-NAME.lock); see
/// Agent.lock() and Agent.guestLock(_:).
final class AgentLock {
    private let fd: Int32

    init(path: String) throws(FleetError) {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .failed("cannot open lock \(path): \(String(cString: strerror(errno)))") }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let e = errno
            close(fd)
            throw .failed("cannot lock \(path): \(String(cString: strerror(e)))")
        }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
