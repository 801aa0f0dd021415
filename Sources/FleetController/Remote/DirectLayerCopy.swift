import FleetProtocol
import Foundation

/// The controller's part in a direct transfer (docs/ARCHITECTURE.md, direct
/// transfers): over the move's two bulk channels, which it trusts, it has
/// the source make a key for this transfer alone, has the destination listen
/// for exactly that key from the source's address, hands the destination's
/// port and key to the source, and collects both ends' stats. None of the
/// layer's bytes pass through here.
struct DirectLayerCopy: Sendable {
    let sourceAddress: String
    let destinationAddress: String
    /// `auto`: a destination the source cannot reach means the relay.
    let fallback: Bool

    /// How long the source may take to reach the destination's port.
    static let connectSeconds = 2.0

    enum Outcome {
        case copied(LayerCopyStats)
        /// Nothing was sent: the caller may relay instead.
        case unreachable(String)
    }

    /// How often the destination is asked how far the stream has come.
    static let progressSeconds = 1.0

    func copy(_ guest: String, base: LayerBase, digest: Bool = false, source: AgentChannel, destination: AgentChannel, timeout: Double,
              progress: (UInt64) -> Void = { _ in }) throws(FleetError) -> Outcome {
        let id = Self.newTransferId()
        let key: TransferKey
        do { key = try source.call(RPC.TransferKeyMethod(transfer: id), timeout: timeout) } catch {
            if fallback && error.code == .notFound { return .unreachable(error.message) }
            throw error
        }
        let listening: TransferListening
        do {
            listening = try destination.call(RPC.TransferListen(TransferListenParams(
                transfer: id, name: guest, address: destinationAddress, sourceAddress: sourceAddress,
                sourceFingerprint: key.fingerprint, deadlineSeconds: min(max(timeout, 10), 3600))), timeout: timeout)
        } catch {
            // No free port, or an agent without direct transfers.
            if fallback && (error.code == .unreachable || error.code == .notFound || error.code == .invalidArgument) { return .unreachable(error.message) }
            throw error
        }
        var params = TransferSendParams(transfer: id, name: guest, address: sourceAddress, destinationAddress: destinationAddress,
                                        destinationPort: listening.port, destinationFingerprint: listening.fingerprint,
                                        connectSeconds: Self.connectSeconds)
        switch base {
        case .whole: break
        case .manifest(let manifest): params.since = manifest
        case .lastExport: params.sinceExported = true
        }
        if digest && base != .whole { params.digest = true }
        let sent: LayerStreamStats
        // The send runs on its own thread while this one asks the
        // destination, on its own channel, how many bytes arrived.
        let sending = BackgroundResult { [params] () throws(FleetError) -> LayerStreamStats in
            try source.call(RPC.TransferSend(params), timeout: timeout + 600)
        }
        let outcome = ProgressPoll.run(until: sending, every: Self.progressSeconds, report: progress) { () throws(FleetError) -> UInt64 in
            try destination.call(RPC.TransferProgressMethod(transfer: id), timeout: min(timeout, 30)).bytes
        }
        do { sent = try outcome.get() } catch {
            // The listener stops; if it had accepted a connection, its
            // failure is the one the move reports.
            let received: Result<LayerStreamStats, FleetError>
            do throws(FleetError) {
                received = .success(try destination.call(RPC.TransferWait(transfer: id, cancel: true), timeout: timeout + 600))
            } catch { received = .failure(error) }
            guard case .failure(let atDestination) = received else { throw error }
            let nothingSent = atDestination.message.contains("before the source connected")
            if fallback && error.code == .unreachable && nothingSent { return .unreachable(error.message) }
            // The destination's failure names the cause (its disk is full…);
            // the source only saw the connection end.
            throw nothingSent ? error : atDestination
        }
        let received = try destination.call(RPC.TransferWait(transfer: id), timeout: timeout + 600)
        return .copied(LayerCopyStats(bytes: received.fileBytes, hashed: sent.cachedDigests != nil && received.cachedDigests != nil,
                                      transport: "direct", sourceDigest: sent.digest, sourceDigestsDeltas: sent.deltaDigests == true))
    }

    static func newTransferId() -> String {
        UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }
}
