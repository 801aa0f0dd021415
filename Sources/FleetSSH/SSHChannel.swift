import CLibSSH
import Foundation

/// One command running on the host: its stdin, stdout, stderr and exit status.
///
/// Every call is bounded by a timeout, blocks the calling thread, and takes
/// the session's lock (see `SSHSession`), so a channel may be shared between
/// threads but its operations run one at a time. Waits for data are cut into
/// slices of `pollSliceMilliseconds`, releasing the lock in between, so a
/// thread waiting on one channel delays another thread's call on a sibling
/// channel by at most one slice.
///
/// Flow control: the remote command blocks once about 1.2 MB of its output
/// sits unread here, so read stdout while waiting for an exit status.
/// deinit closes the channel.
public final class SSHChannel: @unchecked Sendable {
    /// Keeps the session (and so the libssh session pointer) alive.
    let session: SSHSession
    var connection: LibSSHConnection { session.connection }
    /// "`command` on user@host:port", for messages.
    let target: String

    // Guarded by the connection's lock.
    /// nil once closed. Never dereferenced once the connection is closed,
    /// because libssh frees channels together with their session.
    var handle: OpaquePointer?
    var stdoutBuffer = LineBuffer()
    var stdoutEnded = false
    var stderrEnded = false
    var sentEOF = false
    var knownExitStatus: Int?

    /// Longest single wait made while holding the session lock.
    static let pollSliceMilliseconds: Int32 = 20
    /// readLine gives up on a line longer than this rather than buffering
    /// without bound for a peer that never sends "\n".
    static let maximumLineLength = 256 << 20
    /// Largest piece copied out of libssh or handed to it per call.
    static let chunkSize = 256 << 10

    init(session: SSHSession, handle: OpaquePointer, target: String) {
        self.session = session
        self.handle = handle
        self.target = target
    }

    deinit { close() }

    /// Runs `body` on the open channel under the session lock.
    func withChannel<T>(
        timeout: Double? = nil, _ action: String,
        _ body: (_ session: OpaquePointer, _ channel: OpaquePointer) throws(SSHError) -> T
    ) throws(SSHError) -> T {
        try connection.perform(timeout: timeout) { session throws(SSHError) -> T in
            guard let channel = handle else { throw ChannelFailure.closed(action, target) }
            return try body(session, channel)
        }
    }

    /// Writes all of `data` to the command's stdin, in chunks, waiting for
    /// the remote to accept it. Throws `.timeout` if the remote accepts
    /// nothing for `SSHOptions.operationTimeout`, `.closed` if the channel,
    /// its stdin (after `sendEOF`) or the session is closed.
    public func write(_ data: Data) throws(SSHError) {
        let action = "write to"
        let stallLimit = connection.operationTimeout
        var offset = 0
        var stall = Deadline(seconds: stallLimit)
        repeat {
            // A short libssh timeout: wait for window space a slice at a time
            // so the lock is released while the remote is not reading.
            let slice = Double(Self.pollSliceMilliseconds) / 1000
            let written = try withChannel(timeout: slice, action) { session, channel throws(SSHError) -> Int in
                guard !sentEOF else {
                    throw SSHError(kind: .closed, message: "cannot write to \(target): its stdin was already closed with sendEOF")
                }
                guard ssh_channel_is_open(channel) != 0 else { throw ChannelFailure.error(action, target, session: session) }
                let length = min(data.count - offset, Self.chunkSize)
                guard length > 0 else { return 0 }
                let rc = data.withUnsafeBytes { bytes in
                    ssh_channel_write(channel, bytes.baseAddress! + offset, UInt32(length))
                }
                guard rc >= 0 else { throw ChannelFailure.error(action, target, session: session) }
                return Int(rc)
            }
            if written > 0 {
                offset += written
                stall = Deadline(seconds: stallLimit)
            } else if offset < data.count, stall.isExpired {
                throw SSHError(
                    kind: .timeout,
                    message: "cannot write to \(target): the remote accepted no data for \(ChannelFailure.format(stallLimit)) (is the command reading its stdin?)")
            }
        } while offset < data.count
    }

    /// Closes the command's stdin; it sees end of file.
    public func sendEOF() throws(SSHError) {
        try withChannel("send EOF to") { session, channel throws(SSHError) in
            guard !sentEOF else { return }
            // SSH_AGAIN: the EOF is queued but the socket was not writable
            // in time; libssh sends it with the next I/O on the session.
            guard ssh_channel_send_eof(channel) != SSH_ERROR else {
                throw ChannelFailure.error("send EOF to", target, session: session)
            }
            sentEOF = true
        }
    }

    /// The command's exit status, waiting up to `timeout` seconds for it to
    /// end; nil if it did not end in time, was killed by a signal, or the
    /// channel or session is closed before the status arrived.
    public func exitStatus(timeout: Double) -> Int? {
        let seconds = timeout.isFinite ? min(max(timeout, 0), Deadline.maximumSeconds) : 0
        let deadline = Deadline(seconds: seconds)
        while true {
            let status: Int?? = connection.withLock { session in
                if let knownExitStatus { return .some(knownExitStatus) }
                guard let session, let channel = handle else { return .some(nil) }
                LibSSHConnection.setTimeout(
                    session, seconds: Double(deadline.slice(cappedAt: Self.pollSliceMilliseconds)) / 1000)
                // Waits for the exit-status message (or the channel's close)
                // within the timeout just set, then reports -1 if none came.
                let status = ssh_channel_get_exit_status(channel)
                if status >= 0 {
                    knownExitStatus = Int(status)
                    return .some(Int(status))
                }
                if ssh_channel_is_closed(channel) != 0 || ssh_is_connected(session) == 0 { return .some(nil) }
                return .none
            }
            if let status { return status }
            if deadline.isExpired { return nil }
        }
    }

    /// True once the command's stdout has ended and everything received
    /// has been read (also true for a closed channel with nothing buffered).
    public var isEOF: Bool {
        connection.withLock { session in
            if !stdoutBuffer.isEmpty { return false }
            if stdoutEnded { return true }
            guard session != nil, let channel = handle else { return true }
            let rc = ssh_channel_poll_timeout(channel, 0, 0)
            if rc == SSH_EOF || rc == SSH_ERROR {
                stdoutEnded = true
                return true
            }
            return false
        }
    }

    /// Closes the channel (EOF + close to the remote, which typically ends
    /// the command with SIGPIPE or EOF). Safe to call more than once.
    public func close() {
        connection.withLock { session in
            guard let channel = handle else { return }
            handle = nil
            guard let session else { return }
            // Closing only queues two small messages; do not wait long for a
            // congested socket.
            LibSSHConnection.setTimeout(session, seconds: min(connection.operationTimeout, 2))
            ssh_channel_close(channel)
            ssh_channel_free(channel)
        }
    }
}
