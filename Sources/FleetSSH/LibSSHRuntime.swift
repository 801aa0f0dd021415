import CLibSSH

/// libssh's global initialisation, done once per process. `ssh_init` is not
/// safe to call concurrently; a Swift static `let` is initialised exactly
/// once under the runtime's own once-guard.
enum LibSSHRuntime {
    private static let initResult: Int32 = ssh_init()

    static func ensureInitialized() throws(SSHError) {
        guard initResult == SSH_OK else {
            throw SSHError(
                kind: .protocolError,
                message: "cannot initialise libssh (ssh_init returned \(initResult)); check that libssh4 and its crypto library are installed correctly")
        }
    }
}
