import FleetProtocol
import FleetTree
import Foundation

extension RPCServer {
    /// A receiver's manifest larger than this is refused: a delta against
    /// it would cost more than a fresh whole copy (the controller's own
    /// limit on a response line is the same).
    static let maximumReceiverManifestBytes = 256 << 20

    /// guest.receiver-manifest: appends a part; on the last one the whole
    /// text is decoded and becomes this channel's `exported` manifest of
    /// the guest, so that `sinceExported` sends what differs from it.
    func receiveManifestPart(_ p: GuestReceiverManifestParams) throws(FleetError) -> ReceiverManifestState {
        try Names.validate(p.name, kind: "guest")
        var text = receiverParts.removeValue(forKey: p.name) ?? []
        text.append(contentsOf: p.part.utf8)
        guard text.count <= Self.maximumReceiverManifestBytes else {
            throw .invalid("guest.receiver-manifest: guest \(p.name)'s receiver manifest passed \(Self.maximumReceiverManifestBytes >> 20) MiB "
                           + "(discard the staging area and copy the layer whole)")
        }
        guard p.last else {
            receiverParts[p.name] = text
            return ReceiverManifestState(bytes: text.count)
        }
        let manifest: [TreeManifestEntry]
        do { manifest = try JSONDecoder().decode([TreeManifestEntry].self, from: Data(text)) } catch {
            throw .invalid("guest.receiver-manifest: guest \(p.name)'s parts do not make a layer manifest (\(text.count) bytes): \(error)")
        }
        exported[p.name] = manifest
        return ReceiverManifestState(bytes: text.count, entries: manifest.count)
    }
}
