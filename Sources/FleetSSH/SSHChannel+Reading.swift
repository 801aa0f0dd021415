import CLibSSH
import Foundation

extension SSHChannel {
    /// Reads up to `max` bytes of stdout, waiting at most `timeout` seconds.
    /// Returns empty Data at end of file; throws `.timeout` if nothing came.
    public func read(max: Int = 65536, timeout: Double) throws(SSHError) -> Data {
        let action = "read from"
        try checkMax(max, action)
        let deadline = try Deadline(validating: timeout, for: "cannot \(action) \(target)")
        while true {
            let data = try attemptOrWait(until: deadline, action) { session, channel throws(SSHError) -> AttemptOutcome<Data> in
                var more = false
                if stdoutBuffer.isEmpty, !stdoutEnded {
                    // Bulk reads (a relayed layer) take the short way.
                    if let direct = try takeStdoutDirectly(session, channel, max: max) {
                        try drainBuffered(session, channel, stdout: false, stderr: true)
                        return .done(direct)
                    }
                    more = try drainBuffered(session, channel, stdout: true, stderr: true)
                }
                if !stdoutBuffer.isEmpty { return .done(stdoutBuffer.take(max: max)) }
                if stdoutEnded { return .done(Data()) }
                return more ? .retry : .wait
            }
            if let data { return data }
            if deadline.isExpired { throw ChannelFailure.timeout(action, target, seconds: timeout) }
        }
    }

    /// Reads one line of stdout without its "\n", buffering what follows it.
    /// Returns nil at end of file (a last line without "\n" is returned
    /// first). Throws `.timeout` if no complete line arrived within `timeout`
    /// seconds; the partial line stays buffered for the next call.
    public func readLine(timeout: Double) throws(SSHError) -> String? {
        let action = "read a line from"
        let deadline = try Deadline(validating: timeout, for: "cannot \(action) \(target)")
        while true {
            let step = try attemptOrWait(until: deadline, action) { session, channel throws(SSHError) -> AttemptOutcome<LineStep> in
                if let step = bufferedLine() { return .done(step) }
                guard stdoutBuffer.count <= Self.maximumLineLength else {
                    throw SSHError(
                        kind: .protocolError,
                        message: "cannot \(action) \(target): more than \(Self.maximumLineLength >> 20) MB without a newline (is the remote command speaking the expected line protocol?)")
                }
                let before = stdoutBuffer.count
                let more = try drainBuffered(session, channel, stdout: true, stderr: true)
                if let step = bufferedLine() { return .done(step) }
                // Part of a long line came in: let others have the lock,
                // then come straight back for the rest.
                return more || stdoutBuffer.count != before ? .retry : .wait
            }
            switch step {
            case .line(let bytes): return String(decoding: bytes, as: UTF8.self)
            case .ended: return nil
            case nil:
                if deadline.isExpired {
                    throw SSHError(
                        kind: .timeout,
                        message: "cannot \(action) \(target): no complete line within \(ChannelFailure.format(timeout))")
                }
            }
        }
    }

    /// Reads up to `max` bytes of stderr, waiting at most `timeout` seconds
    /// (0 takes only what is already there). Returns empty Data at end of
    /// file; throws `.timeout` if nothing came. While stdout is being read,
    /// stderr is kept aside (its newest `maximumStderrBuffer` bytes) so it
    /// cannot stall the command.
    public func readStderr(max: Int = 65536, timeout: Double) throws(SSHError) -> Data {
        let action = "read stderr of"
        try checkMax(max, action)
        let deadline = try Deadline(validating: timeout, for: "cannot \(action) \(target)")
        while true {
            let data = try attemptOrWait(until: deadline, action) { session, channel throws(SSHError) -> AttemptOutcome<Data> in
                var more = false
                if stderrBuffer.isEmpty, !stderrEnded {
                    more = try drainBuffered(session, channel, stdout: true, stderr: true)
                }
                if !stderrBuffer.isEmpty {
                    let chunk = stderrBuffer.prefix(max)
                    stderrBuffer.removeFirst(chunk.count)
                    return .done(Data(chunk))
                }
                if stderrEnded { return .done(Data()) }
                return more ? .retry : .wait
            }
            if let data { return data }
            if deadline.isExpired { throw ChannelFailure.timeout(action, target, seconds: timeout) }
        }
    }

    /// A complete buffered line, or the end of stdout (with a last
    /// unterminated line first), or nil if neither is there yet.
    private func bufferedLine() -> LineStep? {
        if let line = stdoutBuffer.takeLine() { return .line(line) }
        guard stdoutEnded else { return nil }
        let rest = stdoutBuffer.takeAll()
        return rest.isEmpty ? .ended : .line(rest)
    }

    private enum LineStep {
        case line([UInt8])
        case ended
    }

    private func checkMax(_ max: Int, _ action: String) throws(SSHError) {
        guard max > 0 else {
            throw SSHError(kind: .invalidArgument, message: "cannot \(action) \(target): max must be at least 1 byte (got \(max))")
        }
    }
}
