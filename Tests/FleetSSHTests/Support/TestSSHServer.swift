import FleetTestSupport
import FleetSSH
import Foundation

/// A private sshd on 127.0.0.1 with its own host key, config and
/// authorized_keys in a temporary directory, plus a client key made with
/// SSHKeys. Use it through `withSSHServer`, which always tears it down.
final class TestSSHServer {
    let directory: TemporaryDirectory
    let port: Int
    let user: String
    /// The client's private key (SSHKeys.generateEd25519); its .pub is authorized.
    let clientKey: String
    /// The client's known_hosts; absent until a connection records a key.
    let knownHosts: String
    private(set) var hostKey: String
    private var process: ChildProcess?
    private var restarts = 0

    private init(directory: TemporaryDirectory, port: Int) throws {
        self.directory = directory
        self.port = port
        user = Self.currentUser()
        clientKey = directory.file("client/id_ed25519")
        knownHosts = directory.file("client/known_hosts")
        hostKey = directory.file("ssh_host_ed25519_key")
    }

    /// Starts a server on a free port; cleans up after itself if that fails.
    static func start() throws -> TestSSHServer {
        var lastError: Error = FixtureError("sshd never started")
        // The free port can be taken between probing and sshd's bind; retry.
        for _ in 0..<3 {
            let directory = try TemporaryDirectory(prefix: "fleetssh-test")
            do {
                let server = try TestSSHServer(directory: directory, port: try LoopbackPort.free())
                try server.prepareFiles()
                try server.launch()
                return server
            } catch {
                lastError = error
                directory.remove()
            }
        }
        throw lastError
    }

    /// The server's current host key fingerprint, per ssh-keygen.
    func hostKeyFingerprint() throws -> String {
        try Shell.fingerprint(ofPublicKey: hostKey + ".pub")
    }

    func endpoint(identityFile: String? = nil, knownHostsFile: String? = nil) -> SSHEndpoint {
        SSHEndpoint(
            host: "127.0.0.1", port: port, user: user,
            identityFile: identityFile ?? clientKey, knownHostsFile: knownHostsFile ?? knownHosts)
    }

    /// Connects with the client key; acceptNew by default so tests that are
    /// not about host keys need no setup.
    func connect(policy: HostKeyPolicy = .acceptNew, identityFile: String? = nil) throws -> SSHSession {
        try SSHSession(endpoint: endpoint(identityFile: identityFile), options: SSHOptions(connectTimeout: 5, policy: policy))
    }

    /// Replaces authorized_keys (sshd rereads it for every login).
    func authorize(_ lines: [String]) throws {
        try (lines.joined(separator: "\n") + "\n").write(toFile: directory.file("authorized_keys"), atomically: true, encoding: .utf8)
    }

    func clientPublicKeyLine() throws -> String {
        try String(contentsOfFile: clientKey + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops sshd and starts it again on the same port with a new host key,
    /// as after a reinstall (or with an impostor in between).
    func restartWithNewHostKey() throws {
        stop()
        restarts += 1
        hostKey = directory.file("ssh_host_ed25519_key_\(restarts)")
        try Shell.makeHostKey(hostKey)
        try writeConfig()
        try launch()
    }

    /// What sshd logged (-e sends its log to stderr, captured here).
    var log: String {
        (try? String(contentsOfFile: directory.file("sshd.log"), encoding: .utf8)) ?? ""
    }

    /// Stops sshd and removes every file of the fixture.
    func shutdown() {
        stop()
        directory.remove()
    }

    private func prepareFiles() throws {
        try SSHKeys.generateEd25519(at: clientKey, comment: "vfleet-test-client")
        try authorize([try clientPublicKeyLine()])
        try Shell.makeHostKey(hostKey)
        try writeConfig()
        // sshd's privilege separation chroots into this directory.
        try FileManager.default.createDirectory(
            atPath: "/run/sshd", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
    }

    private func writeConfig() throws {
        let config = """
            ListenAddress 127.0.0.1
            Port \(port)
            HostKey \(hostKey)
            AuthorizedKeysFile \(directory.file("authorized_keys"))
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            UsePAM no
            PidFile \(directory.file("sshd.pid"))
            StrictModes no
            LogLevel VERBOSE

            """
        try config.write(toFile: directory.file("sshd_config"), atomically: true, encoding: .utf8)
    }

    private func launch() throws {
        let logPath = directory.file("sshd.log")
        let sshd = try ChildProcess(
            "/usr/sbin/sshd", ["-D", "-e", "-f", directory.file("sshd_config")], stdout: logPath, stderr: logPath)
        process = sshd
        for _ in 0..<100 {
            if sshd.hasExited {
                process = nil
                throw FixtureError("sshd exited with \(sshd.wait()) before listening on \(port): \(log)")
            }
            if LoopbackPort.accepts(port) { return }
            usleep(50_000)
        }
        stop()
        throw FixtureError("sshd did not listen on 127.0.0.1:\(port) within 5 s: \(log)")
    }

    /// Ends our sshd by its pid only (never any other sshd): SIGTERM, then
    /// SIGKILL after a grace period.
    private func stop() {
        process?.terminate()
        process = nil
    }

    private static func currentUser() -> String {
        guard let entry = getpwuid(getuid()), let name = entry.pointee.pw_name else { return "root" }
        return String(cString: name)
    }
}
