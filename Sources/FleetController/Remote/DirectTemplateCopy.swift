import FleetProtocol
import Foundation

/// A template sent straight from a host that has it to one that lacks it
/// (docs/ARCHITECTURE.md, direct transfers): the same authorization as a
/// layer's (DirectLayerCopy), on a bulk channel to each host. The sender
/// streams its template tree; the destination installs it only if its digest
/// is the controller's. None of the template's bytes pass through here.
struct DirectTemplateCopy: Sendable {
    let senderAddress: String
    let destinationAddress: String

    func copy(_ template: StoredTemplate, sender: AgentChannel, destination: AgentChannel, timeout: Double) throws(FleetError) -> DirectTemplateOutcome {
        let id = DirectLayerCopy.newTransferId()
        let key: TransferKey
        do { key = try sender.call(RPC.TransferKeyMethod(transfer: id), timeout: timeout) } catch {
            if error.code == .notFound { return .unreachable(error.message) }
            throw error
        }
        let listening: TransferListening
        do {
            listening = try destination.call(RPC.TransferListenTemplate(TransferListenTemplateParams(
                transfer: id, name: template.name, digest: template.digest, address: destinationAddress, sourceAddress: senderAddress,
                sourceFingerprint: key.fingerprint, deadlineSeconds: min(max(timeout, 10), 3600))), timeout: timeout)
        } catch {
            // No free port, or an agent without template transfers.
            if error.code == .unreachable || error.code == .notFound || error.code == .invalidArgument { return .unreachable(error.message) }
            throw error
        }
        let params = TransferSendTemplateParams(transfer: id, name: template.name, digest: template.digest, address: senderAddress,
                                                destinationAddress: destinationAddress, destinationPort: listening.port,
                                                destinationFingerprint: listening.fingerprint, connectSeconds: DirectLayerCopy.connectSeconds)
        // Reading and digesting a big template takes time at either end.
        let long = timeout + 600 + Double(template.totalBytes) / 20_000_000
        let sent: LayerStreamStats
        do { sent = try sender.call(RPC.TransferSendTemplate(params), timeout: long) } catch {
            let received: Result<TemplateInfo, FleetError>
            do throws(FleetError) {
                received = .success(try destination.call(RPC.TransferWaitTemplate(transfer: id, cancel: true), timeout: long))
            } catch { received = .failure(error) }
            guard case .failure(let atDestination) = received else { throw error }
            let nothingSent = atDestination.message.contains("before the source connected")
            // Unreachable, or this sender's copy is not the digest asked for:
            // another sender (or the relay) may do.
            if nothingSent && (error.code == .unreachable || error.code == .conflict || error.code == .notFound) { return .unreachable(error.message) }
            throw nothingSent ? error : atDestination
        }
        let info = try destination.call(RPC.TransferWaitTemplate(transfer: id), timeout: long)
        return .copied(info, bytes: sent.fileBytes)
    }
}

/// How a direct template transfer ended.
public enum DirectTemplateOutcome: Sendable {
    /// Installed at the destination with the controller's digest.
    case copied(TemplateInfo, bytes: UInt64)
    /// Nothing was sent: another sender or the relay may do.
    case unreachable(String)
}
