import FleetProtocol
import FleetTree
import FleetTreeStream
import Foundation

/// The agent's half of a direct transfer (docs/ARCHITECTURE.md, direct
/// transfers): the destination listens for one pinned connection and applies
/// its stream into the staging area; the source connects and sends the layer
/// as guest.export would.
extension Agent {
    var transferLog: AgentLogFile { AgentLogFile(file: paths.root + "/transfer.log") }

    /// Listens for `transfer` of guest `name` from `sourceAddress`; the
    /// stream lands in the staging area exactly as guest.import's does.
    func listenForLayer(_ p: TransferListenParams) throws(FleetError) -> TransferListener {
        let pinned = try ListenRequestCheck(method: "transfer.listen", transfer: p.transfer, name: p.name, kind: "guest", sourceFingerprint: p.sourceFingerprint,
                                            sourceAddress: p.sourceAddress, deadlineSeconds: p.deadlineSeconds).pinnedFingerprint()
        if guests.exists(p.name) {
            throw .conflict("guest \(p.name) already exists on this host (destroy it there first, e.g. an old --keep-source copy)")
        }
        let name = p.name
        return try TransferListener(transfer: p.transfer, subject: "guest \(name)", address: p.address, ports: try config.transferPortRange(),
                                    sourceAddress: p.sourceAddress, sourceFingerprint: pinned, deadlineSeconds: p.deadlineSeconds,
                                    log: transferLog) { [self] session in
            var source = ChunkedReader(TransferSource(session: session))
            do throws(FleetError) { return .success(try importLayer(name, from: &source)) } catch { return .failure(error) }
        }
    }

    /// Connects to the destination and sends guest `name`'s layer (with
    /// `since`, what differs from it) over TLS pinned to `p.destinationFingerprint`.
    func sendLayer(_ p: TransferSendParams, identity: TransferIdentity, since: [TreeManifestEntry]?,
                   reuse: XattrReuse? = nil, digests: DigestCache? = nil) throws(FleetError) -> LayerTransfer {
        guard TransferIdentity.validTransferId(p.transfer) else { throw .invalid("transfer.send: transfer id must be 32 lowercase hex digits") }
        guard let pinned = TransferIdentity.parse(p.destinationFingerprint) else {
            throw .invalid("transfer.send: destinationFingerprint must be 64 hex digits (the SHA-256 of the destination's certificate)")
        }
        _ = try guests.load(p.name)
        let session = try openTransfer(p.transfer, method: "transfer.send", from: p.address, to: p.destinationAddress, port: p.destinationPort,
                                       pinned: pinned, identity: identity, connectSeconds: p.connectSeconds)
        defer { session.close() }
        var sink = ChunkedWriter(TransferSink(session: session))
        return try exportLayer(p.name, since: since, to: &sink, reuse: reuse, digest: p.digest == true, digests: digests) {
            sink throws(FleetError) in
            do { try sink.finish() } catch { throw .failed("transfer.send: cannot finish the stream to \(p.destinationAddress): \(error)") }
        }
    }

    /// Listens for `transfer` of template `name` from `sourceAddress`; the
    /// tree is installed as a template only if it passes a directory
    /// import's checks and has `p.digest` (TemplateStore.receive).
    func listenForTemplate(_ p: TransferListenTemplateParams) throws(FleetError) -> TransferListener {
        let pinned = try ListenRequestCheck(method: "transfer.listen-template", transfer: p.transfer, name: p.name, kind: "template",
                                            sourceFingerprint: p.sourceFingerprint, sourceAddress: p.sourceAddress,
                                            deadlineSeconds: p.deadlineSeconds).pinnedFingerprint()
        guard TransferIdentity.validDigest(p.digest) else { throw .invalid("transfer.listen-template: digest must be 64 lowercase hex digits") }
        if templates.exists(p.name) {
            let digest = (try? templates.info(p.name).digest) ?? "?"
            throw .conflict("template \(p.name) exists on this host already (digest \(digest.prefix(12))); nothing to receive")
        }
        let (name, digest, origin) = (p.name, p.digest, "transfer:" + p.sourceAddress)
        return try TransferListener(transfer: p.transfer, subject: "template \(name)", address: p.address, ports: try config.transferPortRange(),
                                    sourceAddress: p.sourceAddress, sourceFingerprint: pinned, deadlineSeconds: p.deadlineSeconds,
                                    log: transferLog) { [self] session in
            var source = ChunkedReader(TransferSource(session: session))
            do throws(FleetError) {
                // Renamed into place under the agent's lock; the stream is
                // not read under it, so two moves bringing the same template
                // at once hold up nothing (the second finds it installed).
                let (info, stats) = try templates.receive(name: name, expectedDigest: digest, from: &source, origin: origin) { () throws(FleetError) in
                    try self.lock()
                }
                return .success(LayerTransfer(stats: stats, cachedDigests: nil, template: info))
            } catch { return .failure(error) }
        }
    }

    /// Connects to the destination and sends template `name`'s tree, only if
    /// this host's copy has the digest the controller named.
    func sendTemplate(_ p: TransferSendTemplateParams, identity: TransferIdentity) throws(FleetError) -> LayerTransfer {
        guard TransferIdentity.validTransferId(p.transfer) else { throw .invalid("transfer.send-template: transfer id must be 32 lowercase hex digits") }
        guard let pinned = TransferIdentity.parse(p.destinationFingerprint) else {
            throw .invalid("transfer.send-template: destinationFingerprint must be 64 hex digits (the SHA-256 of the destination's certificate)")
        }
        let info = try templates.info(p.name)
        guard info.digest == p.digest else {
            throw .conflict("transfer.send-template: template \(p.name) here has digest \(info.digest.prefix(12)), not \(p.digest.prefix(12)); not sending it")
        }
        let session = try openTransfer(p.transfer, method: "transfer.send-template", from: p.address, to: p.destinationAddress,
                                       port: p.destinationPort, pinned: pinned, identity: identity, connectSeconds: p.connectSeconds)
        defer { session.close() }
        var sink = ChunkedWriter(TransferSink(session: session))
        let stats: TreeStreamStats
        do { stats = try TreeStreamWriter.write(root: paths.templateRootfs(p.name), to: &sink) } catch {
            throw .failed("transfer.send-template: cannot send template \(p.name) to \(p.destinationAddress): \(error)")
        }
        do { try sink.finish() } catch { throw .failed("transfer.send-template: cannot finish the stream to \(p.destinationAddress): \(error)") }
        return LayerTransfer(stats: stats, cachedDigests: nil)
    }

    /// Connects from `address` to the destination's transfer port, completes
    /// the TLS handshake pinned to `pinned` and names the transfer.
    func openTransfer(_ transfer: String, method: String, from address: String, to destination: String, port: Int, pinned: [UInt8],
                              identity: TransferIdentity, connectSeconds: Double?) throws(FleetError) -> TransferSession {
        let seconds = min(max(connectSeconds ?? 2, 0.1), 60)
        let fd = try TransferSocket.connect(from: address, to: destination, port: port, seconds: seconds)
        TransferSocket.setTimeouts(fd, seconds: TransferSocket.handshakeSeconds)
        let session: TransferSession
        do { session = try TransferSession.handshake(fd: fd, identity: identity, peer: pinned, server: false) } catch {
            throw FleetError(.unreachable, "\(method): the destination \(destination):\(port) refused transfer \(transfer): \(error)")
        }
        TransferSocket.setTimeouts(fd, seconds: TransferSocket.idleSeconds)
        do {
            try session.send(Array((TransferListener.header + transfer + "\n").utf8))
        } catch {
            session.close()
            throw .failed("\(method): cannot send transfer \(transfer) to \(destination): \(error)")
        }
        return session
    }
}
