extension SSHEndpoint {
    /// Checks what libssh would otherwise reject with a vague message or,
    /// worse, reinterpret (it expands "%" escapes in the known_hosts path).
    func validate() throws(SSHError) {
        try Self.checkHost(host, in: host)
        guard (1...65535).contains(port) else {
            throw invalid("port \(port) is out of range; use 1 to 65535")
        }
        guard !user.isEmpty, user.allSatisfy({ !$0.isWhitespace && $0 != "@" && $0 != ":" && !$0.isASCIIControl })
        else { throw invalid("user \"\(user)\" is not a login name") }
        guard !identityFile.isEmpty else {
            throw invalid("no identity file given; point identityFile at the controller's private key")
        }
        guard !knownHostsFile.isEmpty else {
            throw invalid("no known_hosts file given; point knownHostsFile at the controller's own known_hosts")
        }
        guard !knownHostsFile.contains("%") else {
            throw invalid("known_hosts path \(knownHostsFile) contains \"%\", which libssh would expand; choose a path without it")
        }
    }

    private func invalid(_ why: String) -> SSHError {
        SSHError(kind: .invalidArgument, message: "cannot connect to \(label): \(why)")
    }
}
