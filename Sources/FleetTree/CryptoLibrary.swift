import CLibCrypto

/// Process-wide settings of OpenSSL's libcrypto (digests here, libssh's
/// ciphers in the controller).
public enum CryptoLibrary {
    /// OpenSSL frees its global state in an atexit handler; a worker thread
    /// still releasing an SSH session at that moment then crashes in a freed
    /// lock (seen once in ~14 runs of `vfleet inventory`). Skip that cleanup:
    /// the process is ending anyway. Call before any other use.
    public static func skipCleanupAtExit() {
        _ = OPENSSL_init_crypto(UInt64(OPENSSL_INIT_NO_ATEXIT), nil)
    }
}
