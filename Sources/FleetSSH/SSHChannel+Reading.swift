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
            let data = try withChannel(action) { session, channel throws(SSHError) -> Data? in
                if !stdoutBuffer.isEmpty { return stdoutBuffer.take(max: max) }
                if stdoutEnded { return Data() }
                switch try poll(session, channel, deadline, stderr: false, action) {
                case .available(let count):
                    stdoutBuffer.append(try receive(session, channel, count: Swift.min(count, max), stderr: false, action))
                    return stdoutBuffer.take(max: max)
                case .ended:
                    stdoutEnded = true
                    return Data()
                case .nothing:
                    return nil
                }
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
            let step = try withChannel(action) { session, channel throws(SSHError) -> LineStep in
                var polled = false
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
                    // Data may keep coming without a newline: still honour the
                    // deadline, but always give a zero timeout one look.
                    if polled, deadline.isExpired { return .waiting }
                    polled = true
                    switch try poll(session, channel, deadline, stderr: false, action) {
                    case .available(let count):
                        stdoutBuffer.append(try receive(session, channel, count: count, stderr: false, action))
                    case .ended:
                        stdoutEnded = true
                    case .nothing:
                        return .waiting
                    }
                }
            }
            switch step {
            case .line(let bytes): return String(decoding: bytes, as: UTF8.self)
            case .ended: return nil
            case .waiting:
                if deadline.isExpired {
                    throw SSHError(
                        kind: .timeout,
                        message: "cannot \(action) \(target): no complete line within \(ChannelFailure.format(timeout))")
                }
            }
        }
    }

    /// Reads up to `max` bytes of stderr, waiting at most `timeout` seconds
    /// (0 drains what is already there). Returns empty Data at end of file;
    /// throws `.timeout` if nothing came.
    public func readStderr(max: Int = 65536, timeout: Double) throws(SSHError) -> Data {
        let action = "read stderr of"
        try checkMax(max, action)
        let deadline = try Deadline(validating: timeout, for: "cannot \(action) \(target)")
        while true {
            let data = try withChannel(action) { session, channel throws(SSHError) -> Data? in
                if stderrEnded { return Data() }
                switch try poll(session, channel, deadline, stderr: true, action) {
                case .available(let count):
                    return Data(try receive(session, channel, count: Swift.min(count, max), stderr: true, action))
                case .ended:
                    stderrEnded = true
                    return Data()
                case .nothing:
                    return nil
                }
            }
            if let data { return data }
            if deadline.isExpired { throw ChannelFailure.timeout(action, target, seconds: timeout) }
        }
    }

    private enum LineStep {
        case line([UInt8])
        case ended
        case waiting
    }

    private enum PollResult {
        case available(Int)
        case ended
        case nothing
    }

    /// Waits at most one slice (bounded by `deadline`) for data on one stream.
    private func poll(
        _ session: OpaquePointer, _ channel: OpaquePointer, _ deadline: Deadline, stderr: Bool, _ action: String
    ) throws(SSHError) -> PollResult {
        let rc = ssh_channel_poll_timeout(channel, deadline.slice(cappedAt: Self.pollSliceMilliseconds), stderr ? 1 : 0)
        if rc > 0 { return .available(Int(rc)) }
        if rc == 0 { return .nothing }
        if rc == SSH_EOF { return .ended }
        throw ChannelFailure.error(action, target, session: session)
    }

    /// Copies up to `count` bytes that libssh already holds for this channel.
    private func receive(
        _ session: OpaquePointer, _ channel: OpaquePointer, count: Int, stderr: Bool, _ action: String
    ) throws(SSHError) -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: Swift.min(count, Self.chunkSize))
        // Timeout 0: the data is buffered already, so this never waits.
        let rc = chunk.withUnsafeMutableBytes { bytes in
            ssh_channel_read_timeout(channel, bytes.baseAddress, UInt32(bytes.count), stderr ? 1 : 0, 0)
        }
        guard rc >= 0 else { throw ChannelFailure.error(action, target, session: session) }
        chunk.removeSubrange(Int(rc)...)
        return chunk
    }

    private func checkMax(_ max: Int, _ action: String) throws(SSHError) {
        guard max > 0 else {
            throw SSHError(kind: .invalidArgument, message: "cannot \(action) \(target): max must be at least 1 byte (got \(max))")
        }
    }
}
