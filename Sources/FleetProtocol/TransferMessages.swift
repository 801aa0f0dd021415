/// Messages of the direct-transfer methods (docs/PROTOCOL.md, direct
/// transfers): the controller authorizes one transfer of a guest's layer
/// from the source agent to the destination agent, which then talk TLS 1.3
/// to each other with both certificates pinned. Fingerprints are the
/// SHA-256 of a certificate's DER encoding, 64 lowercase hex digits.

/// transfer.key (source): make this transfer's key; answers its fingerprint.
public struct TransferKeyParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["transfer"]
    /// The controller's id of the transfer: 32 lowercase hex digits.
    public var transfer: String
    public init(transfer: String) { self.transfer = transfer }
}

public struct TransferKey: Codable, Sendable, Equatable {
    public var fingerprint: String
    public init(fingerprint: String) { self.fingerprint = fingerprint }
}

/// transfer.listen (destination): accept exactly one connection for this
/// transfer, from `sourceAddress` with the certificate `sourceFingerprint`,
/// within `deadlineSeconds`, and apply its stream into `name`'s staging area.
public struct TransferListenParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["transfer", "name", "address", "sourceAddress", "sourceFingerprint", "deadlineSeconds"]
    public var transfer: String
    public var name: String
    /// This host's fleet address, to listen on.
    public var address: String
    public var sourceAddress: String
    public var sourceFingerprint: String
    public var deadlineSeconds: Double
    public init(transfer: String, name: String, address: String, sourceAddress: String, sourceFingerprint: String, deadlineSeconds: Double) {
        self.transfer = transfer
        self.name = name
        self.address = address
        self.sourceAddress = sourceAddress
        self.sourceFingerprint = sourceFingerprint
        self.deadlineSeconds = deadlineSeconds
    }
}

public struct TransferListening: Codable, Sendable, Equatable {
    public var port: Int
    public var fingerprint: String
    public init(port: Int, fingerprint: String) {
        self.port = port
        self.fingerprint = fingerprint
    }
}

/// transfer.send (source): connect from `address` (this host's fleet
/// address) to the destination and send the guest's layer, as guest.export
/// would (`since`, `sinceExported` and `digest` alike).
public struct TransferSendParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["transfer", "name", "since", "sinceExported", "digest", "address", "destinationAddress",
                                             "destinationPort", "destinationFingerprint", "connectSeconds"]
    public var transfer: String
    public var name: String
    public var since: String?
    public var sinceExported: Bool?
    /// With a delta: also answer the layer's digest from its scan (guest.export's `digest`).
    public var digest: Bool?
    public var address: String
    public var destinationAddress: String
    public var destinationPort: Int
    public var destinationFingerprint: String
    /// How long to try to connect before answering `unreachable` (the
    /// controller's `auto` then relays instead).
    public var connectSeconds: Double?
    public init(transfer: String, name: String, since: String? = nil, sinceExported: Bool? = nil, address: String,
                destinationAddress: String, destinationPort: Int, destinationFingerprint: String, connectSeconds: Double? = nil) {
        self.transfer = transfer
        self.name = name
        self.since = since
        self.sinceExported = sinceExported
        self.address = address
        self.destinationAddress = destinationAddress
        self.destinationPort = destinationPort
        self.destinationFingerprint = destinationFingerprint
        self.connectSeconds = connectSeconds
    }
}

/// transfer.wait (destination): the stats of what the accepted connection
/// brought, once it ended; with `cancel`, stop listening first if nothing
/// was accepted yet.
public struct TransferWaitParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["transfer", "cancel"]
    public var transfer: String
    public var cancel: Bool?
    public init(transfer: String, cancel: Bool? = nil) {
        self.transfer = transfer
        self.cancel = cancel
    }
}

/// transfer.progress (destination): how far the stream of a transfer this
/// channel listens for has come, without waiting for it; the listener stays
/// (transfer.wait still collects the outcome).
public struct TransferProgressParams: RPCParams, Equatable {
    public static let fields: Set<String> = ["transfer"]
    public var transfer: String
    public init(transfer: String) { self.transfer = transfer }
}

public struct TransferProgress: Codable, Sendable, Equatable {
    /// Bytes of the stream received so far (file data and the stream's
    /// framing: a little more than the final count of file bytes).
    public var bytes: UInt64
    /// The source's connection was accepted.
    public var accepted: Bool
    /// The outcome is in (transfer.wait answers at once).
    public var ended: Bool
    public init(bytes: UInt64, accepted: Bool, ended: Bool) {
        self.bytes = bytes
        self.accepted = accepted
        self.ended = ended
    }
}
