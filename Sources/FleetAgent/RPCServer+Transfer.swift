import FleetProtocol
import FleetTree
import Foundation

/// A channel's direct transfers: the source's key per transfer, the
/// destination's listener per transfer. They live as long as the agent
/// process serving the move's bulk channel, and no longer.
struct TransferTable {
    var keys: [String: TransferIdentity] = [:]
    var listeners: [String: TransferListener] = [:]
    /// Listeners whose payload is a template (transfer.listen-template).
    var templateListeners: [String: TransferListener] = [:]
}

extension RPCServer {
    static let transferHandlers: [String: LineHandler] = Dictionary(uniqueKeysWithValues: [
        handle(RPC.TransferKeyMethod.self) { s, p throws(FleetError) in
            guard TransferIdentity.validTransferId(p.transfer) else { throw .invalid("transfer.key: transfer id must be 32 lowercase hex digits") }
            let identity = try TransferIdentity()
            s.transfers.keys[p.transfer] = identity
            return TransferKey(fingerprint: identity.hex)
        },
        handle(RPC.TransferListen.self) { s, p throws(FleetError) in
            guard s.transfers.listeners[p.transfer] == nil else { throw .conflict("transfer.listen: transfer \(p.transfer) is already listening") }
            let listener = try s.agent.listenForLayer(p)
            s.transfers.listeners[p.transfer] = listener
            return TransferListening(port: listener.port, fingerprint: listener.identity.hex)
        },
        handle(RPC.TransferSend.self) { s, p throws(FleetError) in
            // One key, one transfer: it is gone whatever happens.
            guard let identity = s.transfers.keys.removeValue(forKey: p.transfer) else {
                throw .notFound("transfer.send: no key for transfer \(p.transfer) on this channel (send transfer.key first)")
            }
            return LayerStreamStats(exported: try s.sendTransfer(p, identity: identity))
        },
        handle(RPC.TransferWait.self) { s, p throws(FleetError) in
            guard let listener = s.transfers.listeners.removeValue(forKey: p.transfer) else {
                throw .notFound("transfer.wait: no listener for transfer \(p.transfer) on this channel")
            }
            return LayerStreamStats(try listener.wait(cancel: p.cancel ?? false).get())
        },
        handle(RPC.TransferProgressMethod.self) { s, p throws(FleetError) in
            guard let listener = s.transfers.listeners[p.transfer] else {
                throw .notFound("transfer.progress: no listener for transfer \(p.transfer) on this channel")
            }
            return listener.progress()
        },
        handle(RPC.TransferListenTemplate.self) { s, p throws(FleetError) in
            guard s.transfers.templateListeners[p.transfer] == nil else {
                throw .conflict("transfer.listen-template: transfer \(p.transfer) is already listening")
            }
            let listener = try s.agent.listenForTemplate(p)
            s.transfers.templateListeners[p.transfer] = listener
            return TransferListening(port: listener.port, fingerprint: listener.identity.hex)
        },
        handle(RPC.TransferSendTemplate.self) { s, p throws(FleetError) in
            guard let identity = s.transfers.keys.removeValue(forKey: p.transfer) else {
                throw .notFound("transfer.send-template: no key for transfer \(p.transfer) on this channel (send transfer.key first)")
            }
            return LayerStreamStats(try s.agent.sendTemplate(p, identity: identity))
        },
        handle(RPC.TransferWaitTemplate.self) { s, p throws(FleetError) in
            guard let listener = s.transfers.templateListeners.removeValue(forKey: p.transfer) else {
                throw .notFound("transfer.wait-template: no template listener for transfer \(p.transfer) on this channel")
            }
            let received = try listener.wait(cancel: p.cancel ?? false).get()
            guard let info = received.template else { throw .failed("transfer \(p.transfer) ended without installing a template") }
            return info
        },
    ])

    /// transfer.send with guest.export's notion of `since` and
    /// `sinceExported` (this channel's last full export).
    private func sendTransfer(_ p: TransferSendParams, identity: TransferIdentity) throws(FleetError) -> LayerTransfer {
        var since: [TreeManifestEntry]?
        if let text = p.since {
            do { since = try JSONDecoder().decode([TreeManifestEntry].self, from: Data(text.utf8)) } catch {
                throw .invalid("transfer.send: \"since\" is not a layer manifest: \(error)")
            }
        } else if p.sinceExported == true {
            guard let earlier = exported[p.name] else {
                throw .invalid("transfer.send: no full export of guest \(p.name) on this channel to compare with (send \"since\")")
            }
            since = earlier
        }
        let sent = try agent.sendLayer(p, identity: identity, since: since, reuse: exportedXattrs[p.name], digests: exportedDigests[p.name])
        // The stream's own scan is what the destination holds now: no
        // second walk of the layer for the delta's base.
        if since == nil { exported[p.name] = sent.scanned }
        if let cache = sent.digestCache { exportedDigests[p.name] = cache }
        exportedXattrs[p.name] = sent.reusable
        return sent
    }
}
