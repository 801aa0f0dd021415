import CLibSSH
import FleetSystem
import Foundation

/// One command running on the host: its stdin, stdout, stderr and exit status.
///
/// Every call is bounded by a timeout and blocks the calling thread. A
/// channel may be shared between threads; its operations (and those of its
/// sibling channels) run one at a time under the session's lock, which is
/// not held while a call waits for data, so a thread waiting on one channel
/// does not hold up work on another.
///
/// Flow control: SSH stalls a command whose output is not read. While one
/// stream is waited on, the other is moved into this channel's buffers
/// (stdout in full, stderr up to `maximumStderrBuffer`); `write` and
/// `exitStatus` buffer both, so output never keeps a command from reading
/// its input or from finishing. deinit closes the channel.
/// @unchecked: the channel pointer and its buffers are used only under the
/// session connection's lock (see `LibSSHConnection.perform`).
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
    var stderrBuffer = Data()
    var stdoutEnded = false
    var stderrEnded = false
    var sentEOF = false
    var knownExitStatus: Int?

    /// readLine gives up on a line longer than this rather than buffering
    /// without bound for a peer that never sends "\n".
    static let maximumLineLength = 256 << 20
    /// Largest piece copied out of libssh or handed to it per call.
    static let chunkSize = 256 << 10
    /// Stderr kept aside while stdout is read; older bytes are dropped.
    static let maximumStderrBuffer = 4 << 20
    /// Most bytes one stream hands over per drain (about two windows).
    static let drainBudget = 2 << 20

    init(session: SSHSession, handle: OpaquePointer, target: String) {
        self.session = session
        self.handle = handle
        self.target = target
    }

    deinit { close() }

    /// Runs `attempt` on the open channel under the session lock, sleeping
    /// (unlocked) when it says `.wait`; nil unless it is `.done`. See
    /// `LibSSHConnection.attemptOrWait`.
    func attemptOrWait<T>(
        until deadline: Deadline, _ action: String,
        _ attempt: (_ session: OpaquePointer, _ channel: OpaquePointer) throws(SSHError) -> AttemptOutcome<T>
    ) throws(SSHError) -> T? {
        try connection.attemptOrWait(until: deadline) { session throws(SSHError) -> AttemptOutcome<T> in
            guard let channel = handle else { throw ChannelFailure.closed(action, target) }
            return try attempt(session, channel)
        }
    }

    /// Writes all of `data` to the command's stdin and returns once libssh
    /// has handed it to the kernel. Throws `.timeout` if the remote accepts
    /// nothing for `SSHOptions.operationTimeout`, `.closed` if the channel,
    /// its stdin (after `sendEOF`) or the session is closed.
    public func write(_ data: Data) throws(SSHError) {
        let action = "write to"
        let stallLimit = connection.operationTimeout
        var offset = 0
        var stall = Deadline(seconds: stallLimit)
        while true {
            let step = try attemptOrWait(until: stall, action) { session, channel throws(SSHError) -> AttemptOutcome<WriteStep> in
                try checkWritable(session, channel)
                guard offset < data.count else {
                    // Everything is queued in libssh; wait until it is sent.
                    let rc = ssh_blocking_flush(session, 0)
                    guard rc != SSH_ERROR else { throw ChannelFailure.error(action, target, session: session) }
                    return rc == SSH_OK ? .done(.flushed) : .wait
                }
                let length = min(data.count - offset, Self.chunkSize)
                // Waits at most the attempt's 1 ms libssh timeout for window
                // space, then reports what fit (possibly nothing).
                let rc = data.withUnsafeBytes { bytes in
                    ssh_channel_write(channel, bytes.baseAddress! + offset, UInt32(length))
                }
                guard rc >= 0 else { throw ChannelFailure.error(action, target, session: session) }
                if rc > 0 { return .done(.wrote(Int(rc))) }
                // No window: the command may itself be blocked writing output
                // nobody reads (think `cat`); buffer that output so it can go
                // back to reading its stdin.
                let more = try drainBuffered(session, channel, stdout: true, stderr: true)
                return more || ssh_channel_window_size(channel) > 0 ? .retry : .wait
            }
            switch step {
            case .wrote(let count):
                offset += count
                stall = Deadline(seconds: stallLimit)
            case .flushed:
                return
            case nil:
                if stall.isExpired {
                    throw SSHError(
                        kind: .timeout,
                        message: "cannot write to \(target): the remote accepted no data for \(ChannelFailure.format(stallLimit)) (is the command reading its stdin?)")
                }
            }
        }
    }

    /// Closes the command's stdin; it sees end of file.
    public func sendEOF() throws(SSHError) {
        let action = "send EOF to"
        let limit = connection.operationTimeout
        let deadline = Deadline(seconds: limit)
        while true {
            let sent: Void? = try attemptOrWait(until: deadline, action) { session, channel throws(SSHError) -> AttemptOutcome<Void> in
                if !sentEOF {
                    // SSH_AGAIN: queued but not yet sent; flushed below.
                    guard ssh_channel_send_eof(channel) != SSH_ERROR else {
                        throw ChannelFailure.error(action, target, session: session)
                    }
                    sentEOF = true
                }
                let rc = ssh_blocking_flush(session, 0)
                guard rc != SSH_ERROR else { throw ChannelFailure.error(action, target, session: session) }
                return rc == SSH_OK ? .done(()) : .wait
            }
            if sent != nil { return }
            if deadline.isExpired {
                throw SSHError(
                    kind: .timeout,
                    message: "cannot send EOF to \(target): the connection accepted no data for \(ChannelFailure.format(limit)) (is the network stalled?)")
            }
        }
    }

    /// The command's exit status, waiting up to `timeout` seconds for it to
    /// end; nil if it did not end in time, was killed by a signal (sshd then
    /// sends no status), or the channel or session closed before the status
    /// arrived. Output arriving meanwhile is buffered for later reads.
    public func exitStatus(timeout: Double) -> Int? {
        let seconds = timeout.isFinite ? min(max(timeout, 0), Deadline.maximumSeconds) : 0
        let deadline = Deadline(seconds: seconds)
        while true {
            let outcome: ExitOutcome?
            do {
                outcome = try attemptOrWait(until: deadline, "wait for the exit of") { session, channel throws(SSHError) -> AttemptOutcome<ExitOutcome> in
                    if let knownExitStatus { return .done(.status(knownExitStatus)) }
                    // Handles what already arrived (within the attempt's
                    // 1 ms libssh timeout); -1 means no status yet.
                    let status = ssh_channel_get_exit_status(channel)
                    if status >= 0 {
                        knownExitStatus = Int(status)
                        return .done(.status(Int(status)))
                    }
                    if ssh_channel_is_closed(channel) != 0 || ssh_is_connected(session) == 0 { return .done(.unknown) }
                    // Keep output flowing: a command blocked on a full window
                    // would never exit.
                    let more = try drainBuffered(session, channel, stdout: true, stderr: true)
                    return more ? .retry : .wait
                }
            } catch {
                return connection.withLock { _ in knownExitStatus }
            }
            switch outcome {
            case .status(let status): return status
            case .unknown: return nil
            case nil: if deadline.isExpired { return nil }
            }
        }
    }

    /// The numeric address of the host this channel's session reached.
    public var peerAddress: String? { session.peerAddress }

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

    private func checkWritable(_ session: OpaquePointer, _ channel: OpaquePointer) throws(SSHError) {
        guard !sentEOF else {
            throw SSHError(kind: .closed, message: "cannot write to \(target): its stdin was already closed with sendEOF")
        }
        guard ssh_is_connected(session) != 0 else { throw ChannelFailure.error("write to", target, session: session) }
        guard ssh_channel_is_open(channel) != 0 else {
            throw SSHError(kind: .closed, message: "cannot write to \(target): the remote end closed the channel (the command has exited)")
        }
    }

    private enum WriteStep {
        case wrote(Int)
        case flushed
    }

    private enum ExitOutcome {
        case status(Int)
        case unknown
    }
}
