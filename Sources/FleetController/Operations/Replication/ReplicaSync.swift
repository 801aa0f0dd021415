import FleetProtocol
import Foundation

/// One sync of a guest's replica, authorised by the controller and carried
/// straight from the source's agent to the standby's (a direct transfer,
/// as a move's): the source makes a key for it, the standby listens for
/// exactly that key from the source's address, the source sends (and
/// freezes the guest for the last delta), the standby answers with the
/// point it committed. No byte of the layer passes through here.
struct ReplicaSync: Sendable {
    let transport: any AgentTransport
    let callTimeout: Double

    func run(_ guest: String, from source: StoredHost, to standby: StoredHost) throws(FleetError) -> ReplicaSyncResult {
        let id = DirectLayerCopy.newTransferId()
        let key = try transport.call(RPC.TransferKeyMethod(transfer: id), on: source)
        let listening = try transport.call(RPC.ReplicaListen(ReplicaListenParams(
            transfer: id, name: guest, address: TransferAddress.numeric(standby.address, reached: nil),
            sourceAddress: TransferAddress.numeric(source.address, reached: nil), sourceFingerprint: key.fingerprint,
            deadlineSeconds: min(max(callTimeout, 10), 3600))), on: standby)
        let sent: ReplicaSyncResult
        do {
            sent = try transport.call(RPC.ReplicaSend(ReplicaSendParams(
                transfer: id, name: guest, address: TransferAddress.numeric(source.address, reached: nil),
                destinationAddress: TransferAddress.numeric(standby.address, reached: nil), destinationPort: listening.port,
                destinationFingerprint: listening.fingerprint, connectSeconds: DirectLayerCopy.connectSeconds)), on: source, timeout: callTimeout + 600)
        } catch {
            // The standby's failure names the cause when it had one.
            let atStandby: FleetError?
            do { _ = try transport.call(RPC.ReplicaWait(transfer: id, cancel: true), on: standby, timeout: callTimeout + 600); atStandby = nil } catch let e { atStandby = e }
            if let atStandby, !atStandby.message.contains("before the source connected") { throw atStandby }
            throw error
        }
        let point = try transport.call(RPC.ReplicaWait(transfer: id), on: standby, timeout: callTimeout + 600)
        guard point.digest == sent.point.digest, point.point == sent.point.point else {
            throw .failed("the sync of guest \(guest) ended with point \(point.point) (\(point.digest.prefix(12))) at \(standby.name) but the source was told \(sent.point.point) (\(sent.point.digest.prefix(12)))")
        }
        return sent
    }
}
