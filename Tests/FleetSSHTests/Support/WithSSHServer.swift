/// Runs `body` against a fresh private sshd and always tears it down
/// (process stopped, files removed), also when `body` throws.
func withSSHServer<T>(_ body: (TestSSHServer) throws -> T) throws -> T {
    let server = try TestSSHServer.start()
    defer { server.shutdown() }
    return try body(server)
}
