import FleetProtocol
import FleetTree
import FleetTreeStream
import Foundation

/// The agent's half of a direct transfer (docs/ARCHITECTURE.md, direct
/// transfers): the destination listens for one pinned connection and applies
/// its stream into the staging area; the source connects and sends the layer
/// as guest.export would.
extension Agent {
    var transferLog: TransferLog { TransferLog(file: paths.root + "/transfer.log") }

    /// Listens for `transfer` of guest `name` from `sourceAddress`; the
    /// stream lands in the staging area exactly as guest.import's does.
    func listenForLayer(_ p: TransferListenParams) throws(FleetError) -> TransferListener {
        guard TransferIdentity.validTransferId(p.transfer) else { throw .invalid("transfer.listen: transfer id must be 32 lowercase hex digits") }
        try Names.validate(p.name, kind: "guest")
        guard let pinned = TransferIdentity.parse(p.sourceFingerprint) else {
            throw .invalid("transfer.listen: sourceFingerprint must be 64 hex digits (the SHA-256 of the source's certificate)")
        }
        guard p.deadlineSeconds > 0 && p.deadlineSeconds <= 3600 else { throw .invalid("transfer.listen: deadlineSeconds must be between 0 and 3600") }
        guard TransferSocket.socketAddress(p.sourceAddress, port: 0) != nil else {
            throw .invalid("transfer.listen: sourceAddress \(p.sourceAddress) is not a numeric IP address")
        }
        if guests.exists(p.name) {
            throw .conflict("guest \(p.name) already exists on this host (destroy it there first, e.g. an old --keep-source copy)")
        }
        let name = p.name
        return try TransferListener(transfer: p.transfer, guest: name, address: p.address, ports: try config.transferPortRange(),
                                    sourceAddress: p.sourceAddress, sourceFingerprint: pinned, deadlineSeconds: p.deadlineSeconds,
                                    log: transferLog) { [self] session in
            var source = ChunkedReader(TransferSource(session: session))
            do throws(FleetError) { return .success(try importLayer(name, from: &source)) } catch { return .failure(error) }
        }
    }

    /// Connects to the destination and sends guest `name`'s layer (with
    /// `since`, what differs from it) over TLS pinned to `p.destinationFingerprint`.
    func sendLayer(_ p: TransferSendParams, identity: TransferIdentity, since: [TreeManifestEntry]?) throws(FleetError) -> LayerTransfer {
        guard TransferIdentity.validTransferId(p.transfer) else { throw .invalid("transfer.send: transfer id must be 32 lowercase hex digits") }
        guard let pinned = TransferIdentity.parse(p.destinationFingerprint) else {
            throw .invalid("transfer.send: destinationFingerprint must be 64 hex digits (the SHA-256 of the destination's certificate)")
        }
        _ = try guests.load(p.name)
        let seconds = min(max(p.connectSeconds ?? 2, 0.1), 60)
        let fd = try TransferSocket.connect(from: p.address, to: p.destinationAddress, port: p.destinationPort, seconds: seconds)
        TransferSocket.setTimeouts(fd, seconds: TransferSocket.handshakeSeconds)
        let session: TransferSession
        do { session = try TransferSession.handshake(fd: fd, identity: identity, peer: pinned, server: false) } catch {
            throw FleetError(.unreachable, "transfer.send: the destination \(p.destinationAddress):\(p.destinationPort) refused transfer \(p.transfer): \(error)")
        }
        defer { session.close() }
        TransferSocket.setTimeouts(fd, seconds: TransferSocket.idleSeconds)
        do {
            try session.send(Array((TransferListener.header + p.transfer + "\n").utf8))
        } catch {
            throw .failed("transfer.send: cannot send transfer \(p.transfer) to \(p.destinationAddress): \(error)")
        }
        var sink = ChunkedWriter(TransferSink(session: session))
        let sent = try exportLayer(p.name, since: since, to: &sink)
        do { try sink.finish() } catch { throw .failed("transfer.send: cannot finish the stream to \(p.destinationAddress): \(error)") }
        return sent
    }
}
