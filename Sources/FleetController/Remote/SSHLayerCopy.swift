import FleetProtocol
import Foundation

/// A move's two bulk channels over SSH: guest.export on the source's,
/// guest.import on the destination's, the chunked stream relayed between
/// them through this controller (LayerRelay), or, with `direct`, only the
/// authorization of a transfer straight from host to host (DirectLayerCopy).
/// Opened once per move and reused: after the stop, the delta must not pay
/// for new SSH channels and agent processes, and the source's agent
/// remembers what it sent.
final class SSHLayerCopy: LayerCopy {
    private let source: AgentChannel
    private let destination: AgentChannel
    private let timeout: Double
    /// Set unless the move relays: the layer goes host to host.
    private let direct: DirectLayerCopy?

    init(source: AgentChannel, destination: AgentChannel, timeout: Double, direct: DirectLayerCopy? = nil) {
        self.source = source
        self.destination = destination
        self.timeout = timeout
        self.direct = direct
    }

    func copy(_ guest: String, base: LayerBase, digest: Bool, progress: (UInt64) -> Void) throws(FleetError) -> LayerCopyStats {
        var base = base
        if case .manifest(let manifest) = base {
            // In parts: a big layer's manifest passes the agent's request
            // line cap. The source then holds it as what the receiver has.
            let parts = GuestReceiverManifestParams.parts(of: manifest)
            for (index, part) in parts.enumerated() {
                _ = try source.call(RPC.GuestReceiverManifest(name: guest, part: part, last: index == parts.count - 1), timeout: timeout)
            }
            base = .lastExport
        }
        // Only a delta has a scan of a stopped source to digest.
        let digest = digest && base != .whole
        guard let direct else { return try relay(guest, base: base, digest: digest, progress: progress) }
        switch try direct.copy(guest, base: base, digest: digest, source: source, destination: destination, timeout: timeout,
                               progress: progress) {
        case .copied(let stats):
            progress(stats.bytes)
            return stats
        case .unreachable(let why):
            var stats = try relay(guest, base: base, digest: digest, progress: progress)
            stats.transport = "relay (direct failed: \(why))"
            return stats
        }
    }

    private func relay(_ guest: String, base: LayerBase, digest: Bool, progress: (UInt64) -> Void) throws(FleetError) -> LayerCopyStats {
        let export: RPC.GuestExport = switch base {
        case .whole: RPC.GuestExport(name: guest)
        case .manifest(let manifest): RPC.GuestExport(name: guest, since: manifest, digest: digest ? true : nil)
        case .lastExport: RPC.GuestExport(name: guest, sinceExported: true, digest: digest ? true : nil)
        }
        let importId = try destination.send(RPC.GuestImport(name: guest))
        let exportId = try source.send(export)
        let bytes = try LayerRelay.relay(from: source.ssh, to: destination.ssh, sourceHost: source.host, destinationHost: destination.host,
                                         timeout: timeout, progress: progress)
        // Digesting and syncing a big layer at either end takes time.
        let sent = try source.result(of: RPC.GuestExport.self, id: exportId, timeout: timeout + 600)
        let received = try destination.result(of: RPC.GuestImport.self, id: importId, timeout: timeout + 600)
        return LayerCopyStats(bytes: bytes, hashed: sent.cachedDigests != nil && received.cachedDigests != nil, sourceDigest: sent.digest,
                              sourceDigestsDeltas: sent.deltaDigests == true)
    }

    func close() {
        source.close()
        destination.close()
    }
}
