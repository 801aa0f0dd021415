import CLibSSH
import Foundation

/// Key pairs for the controller's identity, made and read with libssh (no
/// ssh-keygen needed on the controller).
public enum SSHKeys {
    /// Generates an ed25519 key pair: the private key at `path` (OpenSSH
    /// format, mode 0600, no passphrase) and `path + ".pub"` (one OpenSSH
    /// public key line ending in `comment`). Refuses to overwrite an existing
    /// private key: it may be the identity every host trusts.
    public static func generateEd25519(at path: String, comment: String) throws(SSHError) {
        guard !path.isEmpty else {
            throw SSHError(kind: .invalidArgument, message: "cannot generate a key pair: no path given")
        }
        try checkComment(comment, for: path)
        guard !FileManager.default.fileExists(atPath: path) else {
            throw SSHError(
                kind: .invalidArgument,
                message: "cannot generate a key pair at \(path): the file exists; remove it first if you really want a new identity (hosts trusting the old key will refuse the new one)")
        }
        try LibSSHRuntime.ensureInitialized()
        try createDirectory(of: path)

        var generated: OpaquePointer?
        guard ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &generated) == SSH_OK, let key = generated else {
            throw SSHError(kind: .invalidArgument, message: "cannot generate an ed25519 key for \(path): libssh failed (is libssh built with ed25519 support?)")
        }
        defer { ssh_key_free(key) }

        var exported: UnsafeMutablePointer<CChar>?
        guard ssh_pki_export_privkey_base64(key, nil, nil, nil, &exported) == SSH_OK, let text = exported else {
            throw SSHError(kind: .invalidArgument, message: "cannot encode the new private key for \(path): libssh failed")
        }
        let length = strlen(text)
        defer {
            // Wipe the key text before handing the memory back.
            memset(text, 0, length)
            ssh_string_free_char(text)
        }
        try KeyFileWriter.createExclusive(path, mode: 0o600, bytes: UnsafeRawBufferPointer(start: text, count: length))

        do throws(SSHError) {
            let line = try publicKeyLine(privateKeyFile: path, comment: comment)
            try KeyFileWriter.replace(path + ".pub", mode: 0o644, text: line + "\n")
        } catch {
            // Leave no private key without its public half.
            unlink(path)
            throw error
        }
    }

    /// The OpenSSH public key line ("ssh-ed25519 AAAA… comment") for the
    /// private key in `privateKeyFile`.
    public static func publicKeyLine(privateKeyFile: String, comment: String) throws(SSHError) -> String {
        try checkComment(comment, for: privateKeyFile)
        try LibSSHRuntime.ensureInitialized()
        return try SSHPrivateKey(file: privateKeyFile).publicKeyLine(comment: comment)
    }

    /// A comment is the rest of one authorized_keys line: no line breaks.
    private static func checkComment(_ comment: String, for path: String) throws(SSHError) {
        guard !comment.contains(where: { $0.isNewline || $0.isASCIIControl }) else {
            throw SSHError(
                kind: .invalidArgument,
                message: "cannot write a public key line for \(path): the comment contains a line break or control character")
        }
    }

    private static func createDirectory(of path: String) throws(SSHError) {
        let directory = (path as NSString).deletingLastPathComponent
        guard !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) else { return }
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw SSHError(
                kind: .invalidArgument,
                message: "cannot create directory \(directory) for key \(path): \(error.localizedDescription)")
        }
    }
}
