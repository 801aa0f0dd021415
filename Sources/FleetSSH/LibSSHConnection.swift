import CLibSSH
import Foundation

/// Sole owner of one connected, authenticated libssh session pointer.
///
/// libssh sessions (and the channels living in them) are not thread-safe, so
/// every call into libssh for this session goes through `perform`, which
/// holds `lock` for the whole call. Channels of the session use the same
/// lock, so all of a session's I/O is serialized; long waits are cut into
/// short slices (see `SSHChannel`) so one waiting reader cannot starve
/// another thread's write on a second channel.
final class LibSSHConnection: @unchecked Sendable {
    private let lock = NSLock()
    /// nil once closed; libssh frees every channel with the session, so a
    /// channel must never touch its pointer after this is nil.
    private var raw: OpaquePointer?
    /// "user@host:port", for messages.
    let label: String
    /// The default bound for a blocking libssh call (SSHOptions.operationTimeout).
    let operationTimeout: Double

    init(raw: OpaquePointer, label: String, operationTimeout: Double) {
        self.raw = raw
        self.label = label
        self.operationTimeout = operationTimeout
    }

    deinit { close() }

    /// Runs `body` with the session locked and libssh's blocking timeout set
    /// to `timeout` seconds (default: the operation timeout). Throws `.closed`
    /// if the session was closed.
    func perform<T>(timeout: Double? = nil, _ body: (OpaquePointer) throws(SSHError) -> T) throws(SSHError) -> T {
        lock.lock()
        defer { lock.unlock() }
        guard let raw else {
            throw SSHError(kind: .closed, message: "the SSH session to \(label) is closed; open a new session")
        }
        Self.setTimeout(raw, seconds: timeout ?? operationTimeout)
        return try body(raw)
    }

    /// Runs `body` with the session locked; `raw` is nil when closed. For
    /// queries and cleanup that must not throw.
    func withLock<T>(_ body: (OpaquePointer?) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        if let raw { Self.setTimeout(raw, seconds: operationTimeout) }
        return body(raw)
    }

    /// Sends SSH_MSG_DISCONNECT and frees the session with all its channels.
    /// Safe to call more than once and from any thread.
    func close() {
        lock.lock()
        defer { lock.unlock() }
        guard let session = raw else { return }
        raw = nil
        ssh_disconnect(session)
        ssh_free(session)
    }

    /// Sets the bound libssh applies to every blocking wait (its
    /// SSH_TIMEOUT_DEFAULT). A zero timeout would mean "forever" to libssh
    /// and below one millisecond it falls back to 10 s, so clamp to ≥ 1 ms.
    static func setTimeout(_ session: OpaquePointer, seconds: Double) {
        let micros = max(Int((min(seconds, Deadline.maximumSeconds) * 1_000_000).rounded(.up)), 1000)
        var whole = micros / 1_000_000
        var fraction = micros % 1_000_000
        ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &whole)
        ssh_options_set(session, SSH_OPTIONS_TIMEOUT_USEC, &fraction)
    }

    /// libssh's last error text for the session.
    static func errorText(_ session: OpaquePointer) -> String {
        guard let text = ssh_get_error(UnsafeMutableRawPointer(session)) else { return "unknown libssh error" }
        let message = String(cString: text)
        return message.isEmpty ? "unknown libssh error" : message
    }
}
