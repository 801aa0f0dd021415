/// Where and as whom to connect, and which files hold the controller's
/// identity and its record of trusted host keys.
public struct SSHEndpoint: Sendable, Equatable, Codable {
    /// IP address or host name (an IPv6 address without brackets).
    public var host: String
    public var port: Int
    public var user: String
    /// Private key (OpenSSH or PEM format, ed25519 or RSA, no passphrase).
    public var identityFile: String
    /// The controller's own known_hosts file; ~/.ssh/known_hosts and the
    /// system-wide file are never consulted.
    public var knownHostsFile: String

    public init(host: String, port: Int = 22, user: String = "root", identityFile: String, knownHostsFile: String) {
        self.host = host
        self.port = port
        self.user = user
        self.identityFile = identityFile
        self.knownHostsFile = knownHostsFile
    }

    /// "user@host:port" (IPv6 in brackets), the form used in every message.
    var label: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(user)@\(shownHost):\(port)"
    }

    /// The name known_hosts uses for this endpoint: "host" on port 22,
    /// "[host]:port" otherwise (what `ssh-keygen -R` expects).
    var knownHostsName: String {
        port == 22 ? host : "[\(host)]:\(port)"
    }
}
