import CFleetTLS
import FleetProtocol

/// One transfer's Ed25519 key and self-signed certificate, in this agent
/// process's memory only; freed with the object.
final class TransferIdentity: @unchecked Sendable {
    let handle: OpaquePointer
    let fingerprint: [UInt8]

    init() throws(FleetError) {
        var err = [CChar](repeating: 0, count: 256)
        guard let h = fleet_tls_identity_new(&err, err.count) else {
            throw .failed("cannot make a transfer key: \(err.cText)")
        }
        handle = h
        var fp = [UInt8](repeating: 0, count: 32)
        fleet_tls_identity_fingerprint(h, &fp)
        fingerprint = fp
    }

    deinit { fleet_tls_identity_free(handle) }

    var hex: String { Self.hex(fingerprint) }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    /// 64 hex digits to 32 bytes, or nil.
    static func parse(_ text: String) -> [UInt8]? {
        guard text.utf8.count == 64 else { return nil }
        var out: [UInt8] = []
        var i = text.startIndex
        while i < text.endIndex {
            let j = text.index(i, offsetBy: 2)
            guard let b = UInt8(text[i..<j], radix: 16) else { return nil }
            out.append(b)
            i = j
        }
        return out
    }

    /// A tree digest (SHA-256): 64 lowercase hex digits.
    static func validDigest(_ digest: String) -> Bool {
        digest.utf8.count == 64 && digest.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// A transfer id: 32 lowercase hex digits.
    static func validTransferId(_ id: String) -> Bool {
        id.utf8.count == 32 && id.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
