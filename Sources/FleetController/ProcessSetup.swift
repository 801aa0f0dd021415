import FleetTree

/// What a command-line process that drives the controller sets up first.
public enum ProcessSetup {
    /// Before any other use of the controller: OpenSSL must not free its
    /// state at exit under a thread still closing an SSH session.
    public static func commandLine() {
        CryptoLibrary.skipCleanupAtExit()
    }
}
