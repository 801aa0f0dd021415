import CLibSSH

/// OpenSSH-style fingerprints ("SHA256:…", as `ssh-keygen -l` prints them).
/// Only ever computed over the public half of a key.
enum KeyFingerprint {
    static func sha256(of key: OpaquePointer) -> String? {
        var hash: UnsafeMutablePointer<UInt8>?
        var length = 0
        guard ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) == SSH_OK,
              let digest = hash
        else { return nil }
        defer { ssh_clean_pubkey_hash(&hash) }
        guard let text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, digest, length) else { return nil }
        defer { ssh_string_free_char(text) }
        return String(cString: text)
    }

    /// The fingerprint of the key the connected server presented.
    static func ofServer(_ session: OpaquePointer) -> String? {
        var key: OpaquePointer?
        guard ssh_get_server_publickey(session, &key) == SSH_OK, let serverKey = key else { return nil }
        defer { ssh_key_free(serverKey) }
        return sha256(of: serverKey)
    }
}
