import CLibSSH
import Foundation

extension SSHChannel {
    /// Moves what libssh holds for this channel into our own buffers,
    /// processing what the socket has ready but never waiting; notes EOF.
    ///
    /// SSH flow control is per channel, and libssh reopens the receive
    /// window only when data is read out of it. A caller waiting on stdout
    /// while the command fills ~1.2 MB of stderr (or waiting for the exit
    /// status while stdout fills) would stall the command until the timeout.
    /// Draining the stream nobody is reading right now keeps it moving.
    ///
    /// Each stream yields at most `drainBudget` bytes per call: every read
    /// reopens the window, so against a fast sender the loop would otherwise
    /// keep the lock and grow the buffer for as long as data keeps coming.
    /// Returns true if a budget ran out (more may be waiting in libssh), so
    /// the caller retries instead of sleeping on a socket that may stay quiet.
    @discardableResult
    func drainBuffered(_ session: OpaquePointer, _ channel: OpaquePointer, stdout: Bool, stderr: Bool) throws(SSHError) -> Bool {
        var budgetSpent = false
        if stdout {
            var pulled = 0
            while !stdoutEnded {
                guard pulled < Self.drainBudget else { budgetSpent = true; break }
                guard let bytes = try take(session, channel, stderr: false, "read from") else { break }
                stdoutBuffer.append(bytes)
                pulled += bytes.count
            }
        }
        if stderr {
            var pulled = 0
            while !stderrEnded {
                guard pulled < Self.drainBudget else { budgetSpent = true; break }
                guard let bytes = try take(session, channel, stderr: true, "read stderr of") else { break }
                keepStderr(bytes)
                pulled += bytes.count
            }
        }
        return budgetSpent
    }

    /// The next piece of one stream that libssh has (after one non-blocking
    /// pass over the socket), or nil if nothing is there; sets the stream's
    /// ended flag at EOF.
    private func take(
        _ session: OpaquePointer, _ channel: OpaquePointer, stderr: Bool, _ action: String
    ) throws(SSHError) -> [UInt8]? {
        let available = ssh_channel_poll_timeout(channel, 0, stderr ? 1 : 0)
        if available == SSH_EOF {
            if stderr { stderrEnded = true } else { stdoutEnded = true }
            return nil
        }
        if available == SSH_ERROR { throw ChannelFailure.error(action, target, session: session) }
        guard available > 0 else { return nil }
        var failed = false
        // Not zeroed first: libssh fills what it reports.
        let chunk = [UInt8](unsafeUninitializedCapacity: Swift.min(Int(available), Self.chunkSize)) { bytes, count in
            // Timeout 0: the data is buffered already, so this never waits.
            let rc = ssh_channel_read_timeout(channel, bytes.baseAddress, UInt32(bytes.count), stderr ? 1 : 0, 0)
            failed = rc < 0
            count = failed ? 0 : Int(rc)
        }
        guard !failed else { throw ChannelFailure.error(action, target, session: session) }
        return chunk
    }

    /// Up to `max` bytes of stdout straight from libssh into a new buffer,
    /// without passing through this channel's own (one copy, not three);
    /// nil when libssh holds nothing for stdout right now. Sets
    /// `stdoutEnded` at EOF. Only for when nothing is buffered already.
    func takeStdoutDirectly(_ session: OpaquePointer, _ channel: OpaquePointer, max: Int) throws(SSHError) -> Data? {
        let available = ssh_channel_poll_timeout(channel, 0, 0)
        if available == SSH_EOF {
            stdoutEnded = true
            return nil
        }
        if available == SSH_ERROR { throw ChannelFailure.error("read from", target, session: session) }
        guard available > 0 else { return nil }
        let wanted = Swift.min(Int(available), max, Self.chunkSize)
        guard let memory = malloc(wanted) else { return nil }
        let rc = ssh_channel_read_timeout(channel, memory, UInt32(wanted), 0, 0)
        guard rc > 0 else {
            free(memory)
            if rc < 0 { throw ChannelFailure.error("read from", target, session: session) }
            return nil
        }
        return Data(bytesNoCopy: memory, count: Int(rc), deallocator: .free)
    }

    /// Buffers stderr for `readStderr`, keeping only the newest
    /// `maximumStderrBuffer` bytes: stderr is diagnostics, and a command
    /// spewing it must not exhaust the controller's memory.
    private func keepStderr(_ bytes: [UInt8]) {
        stderrBuffer.append(contentsOf: bytes)
        let excess = stderrBuffer.count - Self.maximumStderrBuffer
        if excess > 0 { stderrBuffer.removeFirst(excess) }
    }
}
