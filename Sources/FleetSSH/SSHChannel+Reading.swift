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
            let data = try attemptOrWait(until: deadline, action) { session, channel throws(SSHError) -> Data? in
                if stdoutBuffer.isEmpty, !stdoutEnded {
                    try drainBuffered(session, channel, stdout: true, stderr: true)
                }
                if !stdoutBuffer.isEmpty { return stdoutBuffer.take(max: max) }
                return stdoutEnded ? Data() : nil
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
            let step = try attemptOrWait(until: deadline, action) { session, channel throws(SSHError) -> LineStep? in
                while true {
                    if let line = stdoutBuffer.takeLine() { return .line(line) }
                    if stdoutEnded {
                        let rest = stdoutBuffer.takeAll()
                        return rest.isEmpty ? .ended : .line(rest)
                    }
                    guard stdoutBuffer.count <= Self.maximumLineLength else {
                        throw SSHError(
                            kind: .protocolError,
                            message: "cannot \(action) \(target): more than \(Self.maximumLineLength >> 20) MB without a newline (is the remote command speaking the expected line protocol?)")
                    }
                    let before = stdoutBuffer.count
                    try drainBuffered(session, channel, stdout: true, stderr: true)
                    if stdoutBuffer.count == before, !stdoutEnded { return nil }
                }
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
            let data = try attemptOrWait(until: deadline, action) { session, channel throws(SSHError) -> Data? in
                if stderrBuffer.isEmpty, !stderrEnded {
                    try drainBuffered(session, channel, stdout: true, stderr: true)
                }
                if !stderrBuffer.isEmpty {
                    let chunk = stderrBuffer.prefix(max)
                    stderrBuffer.removeFirst(chunk.count)
                    return Data(chunk)
                }
                return stderrEnded ? Data() : nil
            }
            if let data { return data }
            if deadline.isExpired { throw ChannelFailure.timeout(action, target, seconds: timeout) }
        }
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
