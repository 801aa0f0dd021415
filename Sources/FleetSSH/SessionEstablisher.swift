import CLibSSH
import Foundation

/// Turns an endpoint into a connected, host-verified, authenticated libssh
/// session: options, TCP + key exchange, host key check, public key login.
/// On any failure the half-built session is freed before throwing.
struct SessionEstablisher {
    let endpoint: SSHEndpoint
    let options: SSHOptions

    func establish() throws(SSHError) -> (session: OpaquePointer, fingerprint: String) {
        try endpoint.validate()
        try checkTimeout(options.connectTimeout, named: "connectTimeout")
        try checkTimeout(options.operationTimeout, named: "operationTimeout")
        try LibSSHRuntime.ensureInitialized()
        // Load the key before touching the network: a bad key file is the
        // caller's problem and should not look like a host problem.
        let key = try SSHPrivateKey(file: endpoint.identityFile)
        guard let session = ssh_new() else {
            throw SSHError(kind: .connect, message: "cannot connect to \(endpoint.label): libssh could not allocate a session (out of memory?)")
        }
        do throws(SSHError) {
            try configure(session)
            try connect(session)
            let fingerprint = try HostKeyVerifier.verify(session, endpoint: endpoint, policy: options.policy)
            try authenticate(session, key: key)
            return (session, fingerprint)
        } catch {
            ssh_disconnect(session)
            ssh_free(session)
            throw error
        }
    }

    private func configure(_ session: OpaquePointer) throws(SSHError) {
        try set(session, SSH_OPTIONS_HOST, string: endpoint.host, "host")
        var port = UInt32(endpoint.port)
        try set(session, SSH_OPTIONS_PORT, &port, "port")
        try set(session, SSH_OPTIONS_USER, string: endpoint.user, "user")
        // Never read ~/.ssh/config: the fleet's settings come from vfleet.
        var processConfig = false
        try set(session, SSH_OPTIONS_PROCESS_CONFIG, &processConfig, "process-config")
        // Keep libssh away from ~/.ssh (and from needing $HOME at all).
        let knownHostsDirectory = (endpoint.knownHostsFile as NSString).deletingLastPathComponent
        try set(session, SSH_OPTIONS_SSH_DIR, string: knownHostsDirectory.isEmpty ? "." : knownHostsDirectory, "ssh-dir")
        try set(session, SSH_OPTIONS_KNOWNHOSTS, string: endpoint.knownHostsFile, "known-hosts file")
        // Only the controller's file decides trust, not /etc/ssh/ssh_known_hosts.
        try set(session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, string: "/dev/null", "global known-hosts file")
        // Small request/response messages: Nagle costs ~40 ms per round trip.
        var noDelay: Int32 = 1
        try set(session, SSH_OPTIONS_NODELAY, &noDelay, "nodelay")
        // Belt and braces: we only ever call public key auth, but make sure
        // no libssh helper falls back to passwords or prompts.
        var off: Int32 = 0
        try set(session, SSH_OPTIONS_PASSWORD_AUTH, &off, "password-auth")
        try set(session, SSH_OPTIONS_KBDINT_AUTH, &off, "kbdint-auth")
        try set(session, SSH_OPTIONS_GSSAPI_AUTH, &off, "gssapi-auth")
        var silent: Int32 = 0
        try set(session, SSH_OPTIONS_LOG_VERBOSITY, &silent, "log-verbosity")
        // Bounds TCP connect + banner + key exchange (and then auth).
        LibSSHConnection.setTimeout(session, seconds: options.connectTimeout)
    }

    private func connect(_ session: OpaquePointer) throws(SSHError) {
        guard ssh_connect(session) != SSH_OK else { return }
        let detail = LibSSHConnection.errorText(session)
        let lowered = detail.lowercased()
        let prefix = "cannot connect to \(endpoint.label)"
        if lowered.contains("timeout") || lowered.contains("timed out") {
            throw SSHError(
                kind: .timeout,
                message: "\(prefix): no SSH handshake within \(seconds(options.connectTimeout)) (is the host up and is an SSH server, not another service, listening on port \(endpoint.port)? is a firewall dropping packets?)")
        }
        if lowered.contains("connection refused") {
            throw SSHError(kind: .connect, message: "\(prefix): connection refused (is sshd running and listening on port \(endpoint.port)?)")
        }
        if lowered.contains("resolve") {
            throw SSHError(kind: .connect, message: "\(prefix): cannot resolve host name \"\(endpoint.host)\" (check the name or use an IP address)")
        }
        // Got an SSH banner but then failed: the peer speaks SSH badly
        // (no common algorithms, broken key exchange). No banner, or a
        // non-SSH greeting, means something else is listening.
        if lowered.contains("protocol mismatch") || ssh_get_serverbanner(session) != nil {
            throw SSHError(kind: .protocolError, message: "\(prefix): SSH handshake failed: \(detail) (is this an SSH server with a current OpenSSH?)")
        }
        throw SSHError(kind: .connect, message: "\(prefix): \(detail) (check the address and that the host is reachable)")
    }

    private func authenticate(_ session: OpaquePointer, key: SSHPrivateKey) throws(SSHError) {
        let rc = ssh_userauth_publickey(session, nil, key.raw)
        let prefix = "cannot log in to \(endpoint.label)"
        switch rc {
        case SSH_AUTH_SUCCESS.rawValue:
            return
        case SSH_AUTH_DENIED.rawValue:
            throw SSHError(
                kind: .authentication,
                message: "\(prefix): the server refused key \(key.fingerprint) from \(key.path) (add \(key.path).pub to ~\(endpoint.user)/.ssh/authorized_keys on the host and check that sshd permits public key login for \(endpoint.user))")
        case SSH_AUTH_PARTIAL.rawValue:
            throw SSHError(
                kind: .authentication,
                message: "\(prefix): the server accepted key \(key.fingerprint) but demands further authentication methods; vfleet logs in with a public key only (relax AuthenticationMethods for \(endpoint.user) on the host)")
        case SSH_AUTH_AGAIN.rawValue:
            throw SSHError(
                kind: .timeout,
                message: "\(prefix): no answer to public key authentication within \(seconds(options.connectTimeout)) (is the host overloaded?)")
        default:
            throw SSHError(
                kind: ssh_is_connected(session) == 0 ? .closed : .protocolError,
                message: "\(prefix): public key authentication failed: \(LibSSHConnection.errorText(session)) (check the sshd log on the host)")
        }
    }

    private func set(_ session: OpaquePointer, _ option: ssh_options_e, string value: String, _ name: String) throws(SSHError) {
        guard ssh_options_set(session, option, value) == SSH_OK else { throw rejected(name, session) }
    }

    private func set<Value>(_ session: OpaquePointer, _ option: ssh_options_e, _ value: inout Value, _ name: String) throws(SSHError) {
        let rc = withUnsafePointer(to: &value) { ssh_options_set(session, option, UnsafeRawPointer($0)) }
        guard rc == SSH_OK else { throw rejected(name, session) }
    }

    private func rejected(_ name: String, _ session: OpaquePointer) -> SSHError {
        SSHError(
            kind: .invalidArgument,
            message: "cannot connect to \(endpoint.label): libssh rejected the \(name) setting: \(LibSSHConnection.errorText(session))")
    }

    private func checkTimeout(_ value: Double, named name: String) throws(SSHError) {
        guard value.isFinite, value > 0, value <= Deadline.maximumSeconds else {
            throw SSHError(
                kind: .invalidArgument,
                message: "cannot connect to \(endpoint.label): \(name) \(value) must be a number of seconds above 0 and at most \(Int(Deadline.maximumSeconds))")
        }
    }

    private func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
