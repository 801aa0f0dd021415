import CLibSSH

/// Builds the error for a failed libssh call on a channel, telling apart a
/// lost connection, a time-out and a refused request.
enum ChannelFailure {
    /// `rc` is libssh's return code; SSH_AGAIN from a blocking call means its
    /// timeout (`seconds`) ran out.
    static func error(_ action: String, _ target: String, session: OpaquePointer, rc: Int32, seconds: Double) -> SSHError {
        if rc == SSH_AGAIN {
            return SSHError(
                kind: .timeout,
                message: "cannot \(action) \(target): no answer within \(format(seconds)) (is the host overloaded or the network stalled?)")
        }
        return error(action, target, session: session)
    }

    static func error(_ action: String, _ target: String, session: OpaquePointer) -> SSHError {
        let detail = LibSSHConnection.errorText(session)
        if ssh_is_connected(session) == 0 {
            return SSHError(
                kind: .closed,
                message: "cannot \(action) \(target): the connection was lost (\(detail)); open a new session once the host is reachable")
        }
        if detail.lowercased().contains("closed") {
            return SSHError(
                kind: .closed,
                message: "cannot \(action) \(target): the remote end closed the channel (\(detail)); the remote command has probably exited")
        }
        return SSHError(
            kind: .channel,
            message: "cannot \(action) \(target): \(detail) (check the sshd log on the host; MaxSessions may limit channels per connection)")
    }

    static func closed(_ action: String, _ target: String) -> SSHError {
        SSHError(kind: .closed, message: "cannot \(action) \(target): the channel is closed; run the command again on a new channel")
    }

    static func timeout(_ action: String, _ target: String, seconds: Double) -> SSHError {
        SSHError(kind: .timeout, message: "cannot \(action) \(target): nothing arrived within \(format(seconds))")
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}
