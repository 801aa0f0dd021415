/// Messages of a direct template transfer (docs/PROTOCOL.md, direct
/// transfers): a host that has a template sends its tree straight to a host
/// that lacks it, over the same pinned TLS 1.3 transfer as a guest's layer
/// (the key from transfer.key). The controller names the template and its
/// digest; the destination installs it only if what arrived has that digest.

/// transfer.listen-template (destination): accept exactly one connection for
/// this transfer, from `sourceAddress` with the certificate
/// `sourceFingerprint`, within `deadlineSeconds`, and install its tree as
/// template `name` if its digest is `digest`.
public struct TransferListenTemplateParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["transfer", "name", "digest", "address", "sourceAddress", "sourceFingerprint", "deadlineSeconds"]
    public var transfer: String
    public var name: String
    /// The template's tree digest (docs/PROTOCOL.md, template digest).
    public var digest: String
    /// This host's fleet address, to listen on.
    public var address: String
    public var sourceAddress: String
    public var sourceFingerprint: String
    public var deadlineSeconds: Double
    public init(transfer: String, name: String, digest: String, address: String, sourceAddress: String, sourceFingerprint: String,
                deadlineSeconds: Double) {
        self.transfer = transfer
        self.name = name
        self.digest = digest
        self.address = address
        self.sourceAddress = sourceAddress
        self.sourceFingerprint = sourceFingerprint
        self.deadlineSeconds = deadlineSeconds
    }
}

/// transfer.send-template (the sending host): connect from `address` to the
/// destination and send template `name`'s tree, only if this host's copy
/// has `digest`.
public struct TransferSendTemplateParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["transfer", "name", "digest", "address", "destinationAddress", "destinationPort",
                                             "destinationFingerprint", "connectSeconds"]
    public var transfer: String
    public var name: String
    public var digest: String
    public var address: String
    public var destinationAddress: String
    public var destinationPort: Int
    public var destinationFingerprint: String
    /// How long to try to connect before answering `unreachable`.
    public var connectSeconds: Double?
    public init(transfer: String, name: String, digest: String, address: String, destinationAddress: String, destinationPort: Int,
                destinationFingerprint: String, connectSeconds: Double? = nil) {
        self.transfer = transfer
        self.name = name
        self.digest = digest
        self.address = address
        self.destinationAddress = destinationAddress
        self.destinationPort = destinationPort
        self.destinationFingerprint = destinationFingerprint
        self.connectSeconds = connectSeconds
    }
}
