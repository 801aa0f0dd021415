import CLibSSH
import Foundation

/// A private key loaded from a file, freed (libssh wipes it) when released.
///
/// Loading never prompts: without a callback libssh lets OpenSSL ask for a
/// PEM passphrase on the terminal, which would hang a controller with no
/// one at the keyboard. Passphrase-protected keys are refused instead.
/// Error messages name the file, never its contents.
final class SSHPrivateKey {
    let raw: OpaquePointer
    let path: String

    init(file path: String) throws(SSHError) {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw SSHError(
                kind: .invalidArgument,
                message: "cannot load identity file \(path): no such file (generate a key pair with SSHKeys.generateEd25519 or point identityFile at an existing private key)")
        }
        guard access(path, R_OK) == 0 else {
            throw SSHError(
                kind: .invalidArgument,
                message: "cannot load identity file \(path): \(String(cString: strerror(errno))) (make it readable by the user running the controller)")
        }
        var key: OpaquePointer?
        let refusePassphrase: ssh_auth_callback = { _, _, _, _, _, _ in -1 }
        let rc = ssh_pki_import_privkey_file(path, nil, refusePassphrase, nil, &key)
        guard rc == SSH_OK, let loaded = key else {
            throw SSHError(
                kind: .invalidArgument,
                message: "cannot load identity file \(path): it is not an unencrypted private key in OpenSSH or PEM format (passphrase-protected keys are not supported; use a dedicated key without a passphrase)")
        }
        raw = loaded
    }

    deinit { ssh_key_free(raw) }

    /// "SHA256:…" of the public half, for messages that must identify the key.
    var fingerprint: String { KeyFingerprint.sha256(of: raw) ?? "unknown fingerprint" }

    /// The OpenSSH public key line: "TYPE BASE64[ COMMENT]".
    func publicKeyLine(comment: String) throws(SSHError) -> String {
        var publicKey: OpaquePointer?
        guard ssh_pki_export_privkey_to_pubkey(raw, &publicKey) == SSH_OK, let pub = publicKey else {
            throw SSHError(kind: .invalidArgument, message: "cannot derive the public key from \(path): libssh could not export it")
        }
        defer { ssh_key_free(pub) }
        var base64: UnsafeMutablePointer<CChar>?
        guard ssh_pki_export_pubkey_base64(pub, &base64) == SSH_OK, let encoded = base64 else {
            throw SSHError(kind: .invalidArgument, message: "cannot encode the public key of \(path): libssh could not export it")
        }
        defer { ssh_string_free_char(encoded) }
        guard let typeName = ssh_key_type_to_char(ssh_key_type(pub)) else {
            throw SSHError(kind: .invalidArgument, message: "cannot name the key type of \(path): libssh does not know it")
        }
        let line = "\(String(cString: typeName)) \(String(cString: encoded))"
        return comment.isEmpty ? line : "\(line) \(comment)"
    }
}
