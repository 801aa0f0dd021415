import CLibSSH

/// Checks the server's host key against the endpoint's known_hosts file
/// right after key exchange, before any credential is sent.
enum HostKeyVerifier {
    /// Returns the server key's fingerprint once the key is trusted;
    /// throws `.hostKeyUnknown` or `.hostKeyChanged` otherwise.
    static func verify(_ session: OpaquePointer, endpoint: SSHEndpoint, policy: HostKeyPolicy) throws(SSHError) -> String {
        guard let fingerprint = KeyFingerprint.ofServer(session) else {
            throw SSHError(
                kind: .protocolError,
                message: "cannot read the host key of \(endpoint.label): \(LibSSHConnection.errorText(session)) (the server sent no usable host key)")
        }
        let state = ssh_session_is_known_server(session)
        switch state {
        case SSH_KNOWN_HOSTS_OK:
            return fingerprint
        case SSH_KNOWN_HOSTS_CHANGED, SSH_KNOWN_HOSTS_OTHER:
            // OTHER: a key of another type is recorded. OpenSSH treats that
            // as a changed key too; an attacker can pick any key type.
            throw changed(endpoint, fingerprint: fingerprint)
        case SSH_KNOWN_HOSTS_NOT_FOUND, SSH_KNOWN_HOSTS_UNKNOWN:
            guard policy == .acceptNew else { throw unknown(endpoint, fingerprint: fingerprint) }
            try record(session, endpoint: endpoint, fingerprint: fingerprint)
            return fingerprint
        default:
            throw SSHError(
                kind: .hostKeyUnknown,
                message: "cannot check the host key of \(endpoint.label) against \(endpoint.knownHostsFile): \(LibSSHConnection.errorText(session)) (check that the file is readable and in known_hosts format)")
        }
    }

    private static func record(_ session: OpaquePointer, endpoint: SSHEndpoint, fingerprint: String) throws(SSHError) {
        try KnownHostsFile.prepare(endpoint.knownHostsFile)
        guard ssh_session_update_known_hosts(session) == SSH_OK else {
            throw SSHError(
                kind: .hostKeyUnknown,
                message: "cannot record the host key \(fingerprint) of \(endpoint.label) in \(endpoint.knownHostsFile): \(LibSSHConnection.errorText(session)) (check that the file is writable)")
        }
    }

    private static func unknown(_ endpoint: SSHEndpoint, fingerprint: String) -> SSHError {
        SSHError(
            kind: .hostKeyUnknown,
            message: "refusing \(endpoint.label): its host key \(fingerprint) is unknown (not in \(endpoint.knownHostsFile)) and the policy is strict. Check the fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then connect once with the accept-new policy or add the key to \(endpoint.knownHostsFile)")
    }

    private static func changed(_ endpoint: SSHEndpoint, fingerprint: String) -> SSHError {
        SSHError(
            kind: .hostKeyChanged,
            message: "refusing \(endpoint.label): its host key has changed (it now presents \(fingerprint), which does not match the key recorded in \(endpoint.knownHostsFile)). This may be a man-in-the-middle attack. If the host was reinstalled or its keys rotated, remove the old entry with `vfleet host forget-key <name>` or `ssh-keygen -R '\(endpoint.knownHostsName)' -f \(endpoint.knownHostsFile)` and connect again")
    }
}
