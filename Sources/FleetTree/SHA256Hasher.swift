import CLibCrypto
import Glibc

/// Incremental SHA-256 backed by OpenSSL's EVP interface.
///
/// Non-copyable so the `EVP_MD_CTX` has exactly one owner and is freed
/// exactly once; `finalizeHex()` consumes the hasher so it cannot be fed
/// after the digest was taken.
/// @unchecked: the `EVP_MD_CTX` pointer has one owner (non-copyable), so
/// sending the hasher moves it to another thread; it is never shared.
public struct SHA256Hasher: ~Copyable, @unchecked Sendable {
    // @unchecked: the context is only reachable through this unique owner,
    // so handing the owner to another task hands over the context with it.
    private let context: OpaquePointer

    public init() {
        // Both calls fail only when memory is exhausted or OpenSSL is broken;
        // no caller could recover, so this is not a thrown error.
        guard let context = EVP_MD_CTX_new() else {
            fatalError("SHA256Hasher: EVP_MD_CTX_new failed (out of memory)")
        }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            EVP_MD_CTX_free(context)
            fatalError("SHA256Hasher: EVP_DigestInit_ex(SHA-256) failed (check the OpenSSL installation)")
        }
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        Self.feed(context, buffer)
    }

    public mutating func update(_ data: some Collection<UInt8>) {
        let context = self.context
        let fed: Void? = data.withContiguousStorageIfAvailable { Self.feed(context, UnsafeRawBufferPointer($0)) }
        if fed == nil {
            Array(data).withUnsafeBytes { Self.feed(context, $0) }
        }
    }

    /// The digest as 64 lowercase hex characters.
    public consuming func finalizeHex() -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = digest.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        precondition(ok == 1, "SHA256Hasher: EVP_DigestFinal_ex failed")
        return Self.hex(digest[0..<Int(length)])
    }

    /// SHA-256 of a file's content, read in 1 MiB chunks (symlinks are followed:
    /// the caller names the file it means).
    public static func hexDigest(ofFileAt path: String) throws -> String {
        let operation = "cannot hash file \(path)"
        do {
            let fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC)
            if fd < 0 { throw TreeProblem.system("open", on: path, errno: errno) }
            let file = FileDescriptor(adopting: fd)
            return try FileContentHasher().digest(of: file.raw, displayPath: path).digest
        } catch let problem as TreeProblem {
            throw TreeError(operation: operation, problem)
        }
    }

    private static func feed(_ context: OpaquePointer, _ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        let ok = EVP_DigestUpdate(context, base, buffer.count)
        precondition(ok == 1, "SHA256Hasher: EVP_DigestUpdate failed")
    }

    package static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
