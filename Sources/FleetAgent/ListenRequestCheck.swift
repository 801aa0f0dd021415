import FleetProtocol

/// The checks every direct listener's request passes before it binds
/// (transfer.listen, transfer.listen-template, replica.listen): a transfer
/// id, a valid name, the source's certificate fingerprint to pin, a sane
/// deadline and a numeric source address. Errors name `method`.
struct ListenRequestCheck {
    let method: String
    let transfer: String
    let name: String
    /// "guest" or "template": what `name` names.
    let kind: String
    let sourceFingerprint: String
    let sourceAddress: String
    let deadlineSeconds: Double

    /// The fingerprint to pin, once every check passed.
    func pinnedFingerprint() throws(FleetError) -> [UInt8] {
        guard TransferIdentity.validTransferId(transfer) else { throw .invalid("\(method): transfer id must be 32 lowercase hex digits") }
        try Names.validate(name, kind: kind)
        guard let pinned = TransferIdentity.parse(sourceFingerprint) else {
            throw .invalid("\(method): sourceFingerprint must be 64 hex digits (the SHA-256 of the source's certificate)")
        }
        guard deadlineSeconds > 0 && deadlineSeconds <= 3600 else { throw .invalid("\(method): deadlineSeconds must be between 0 and 3600") }
        guard TransferSocket.socketAddress(sourceAddress, port: 0) != nil else {
            throw .invalid("\(method): sourceAddress \(sourceAddress) is not a numeric IP address")
        }
        return pinned
    }
}
