import CLibSSH
import Glibc

/// A connected, host-verified, authenticated SSH connection to one host,
/// reusable for any number of commands (one channel per `exec`).
///
/// All calls block the calling thread (bounded by timeouts); call them from
/// your own threads, not from Swift's cooperative pool. libssh is not
/// thread-safe, so one session must never run libssh on two threads at
/// once: every operation on the session or any of its channels takes one
/// internal lock, which makes sharing a session between threads safe.
/// Calls waiting for data release the lock while they wait, so a reader
/// blocked on one channel does not hold up a writer on another; the libssh
/// work itself is still serialized, so for parallel throughput to one host
/// open several sessions.
///
/// Channels keep their session alive; `close()` ends it (and all its
/// channels) at once, and deinit closes it.
/// @unchecked: all its libssh state lives in a `LibSSHConnection` and is
/// used only under that connection's lock.
public final class SSHSession: @unchecked Sendable {
    public let endpoint: SSHEndpoint
    /// "SHA256:…" of the server's host key, as `ssh-keygen -l` prints it.
    public let hostKeyFingerprint: String
    let connection: LibSSHConnection

    /// Connects (TCP + key exchange within `options.connectTimeout`),
    /// verifies the host key per `options.policy`, and logs in with the
    /// endpoint's private key only (never a password or keyboard prompt).
    public init(endpoint: SSHEndpoint, options: SSHOptions = SSHOptions()) throws(SSHError) {
        let established = try SessionEstablisher(endpoint: endpoint, options: options).establish()
        self.endpoint = endpoint
        self.hostKeyFingerprint = established.fingerprint
        self.connection = LibSSHConnection(
            raw: established.session, label: endpoint.label, operationTimeout: options.operationTimeout)
    }

    deinit { connection.close() }

    /// The numeric address this session's TCP connection reached (its
    /// socket's peer, e.g. "10.0.0.12" or "fd00::12"): what a host given by
    /// name resolved to. nil once closed.
    public var peerAddress: String? {
        connection.withLock { session -> String? in
            guard let session else { return nil }
            let fd = ssh_get_fd(session)
            guard fd >= 0 else { return nil }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let got = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
            }
            guard got == 0 else { return nil }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            let converted: UnsafePointer<CChar>? = withUnsafePointer(to: &storage) { pointer in
                switch Int32(pointer.pointee.ss_family) {
                case AF_INET:
                    return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                        var a = v4.pointee.sin_addr
                        return inet_ntop(AF_INET, &a, &text, socklen_t(text.count))
                    }
                case AF_INET6:
                    return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                        var a = v6.pointee.sin6_addr
                        return inet_ntop(AF_INET6, &a, &text, socklen_t(text.count))
                    }
                default: return nil
                }
            }
            guard converted != nil else { return nil }
            return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    public var isConnected: Bool {
        connection.withLock { session in
            guard let session else { return false }
            return ssh_is_connected(session) != 0
        }
    }

    /// Opens a session channel and starts `command` (sshd runs it with the
    /// user's shell; a forced command in authorized_keys replaces it).
    public func exec(_ command: String) throws(SSHError) -> SSHChannel {
        let target = "`\(Self.summary(of: command))` on \(endpoint.label)"
        guard !command.isEmpty, !command.utf8.contains(0) else {
            throw SSHError(kind: .invalidArgument, message: "cannot run \(target): the command is empty or contains a NUL byte")
        }
        let seconds = connection.operationTimeout
        let handle = try connection.perform { session throws(SSHError) -> OpaquePointer in
            guard let channel = ssh_channel_new(session) else {
                throw ChannelFailure.error("open a channel for", target, session: session)
            }
            var rc = ssh_channel_open_session(channel)
            if rc != SSH_OK {
                ssh_channel_free(channel)
                throw ChannelFailure.error("open a channel for", target, session: session, rc: rc, seconds: seconds)
            }
            rc = ssh_channel_request_exec(channel, command)
            if rc != SSH_OK {
                let failure = ChannelFailure.error("start", target, session: session, rc: rc, seconds: seconds)
                ssh_channel_close(channel)
                ssh_channel_free(channel)
                throw failure
            }
            return channel
        }
        return SSHChannel(session: self, handle: handle, target: target)
    }

    /// Disconnects; later calls on the session or its channels throw `.closed`.
    public func close() {
        connection.close()
    }

    /// The command as shown in messages: first line, at most 60 characters.
    /// Enough to recognise it without dumping long scripts into logs.
    private static func summary(of command: String) -> String {
        let firstLine = command.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let more = firstLine.count > 60 || firstLine.count < command.count
        return String(firstLine.prefix(60)) + (more ? "…" : "")
    }
}
