import FleetProtocol
import Foundation

/// One sync of a guest's replica, authorised by the controller. `direct`
/// (as a move's): the source makes a key for it, the standby listens for
/// exactly that key from the source's address, the source sends (and
/// freezes the guest for the last delta), the standby answers with the
/// point it committed; no byte of the layer passes through here. `relay`:
/// the same conversation between the two agents, carried by this
/// controller over their bulk channels (ReplicaRelay). `auto`: direct, and
/// the relay when the source cannot reach the standby's transfer port
/// (nothing was sent and the guest was not frozen then).
struct ReplicaSync: Sendable {
    let transport: any AgentTransport
    let callTimeout: Double
    var mode: LayerTransportMode = .direct

    struct Outcome: Sendable {
        var result: ReplicaSyncResult
        /// "direct", "relay", or "relay (direct failed: …)".
        var transport: String
    }

    func run(_ guest: String, from source: StoredHost, to standby: StoredHost) throws(FleetError) -> Outcome {
        switch mode {
        case .relay:
            return Outcome(result: try relay(guest, from: source, to: standby), transport: "relay")
        case .direct:
            switch try direct(guest, from: source, to: standby, fallback: false) {
            case .synced(let result): return Outcome(result: result, transport: "direct")
            case .unreachable(let why): throw FleetError(.unreachable, why)
            }
        case .auto:
            switch try direct(guest, from: source, to: standby, fallback: true) {
            case .synced(let result): return Outcome(result: result, transport: "direct")
            case .unreachable(let why):
                return Outcome(result: try relay(guest, from: source, to: standby), transport: "relay (direct failed: \(why))")
            }
        }
    }

    enum DirectOutcome {
        case synced(ReplicaSyncResult)
        /// Nothing was sent and the guest was not frozen: the relay may go instead.
        case unreachable(String)
    }

    func direct(_ guest: String, from source: StoredHost, to standby: StoredHost, fallback: Bool) throws(FleetError) -> DirectOutcome {
        let id = DirectLayerCopy.newTransferId()
        let key = try transport.call(RPC.TransferKeyMethod(transfer: id), on: source)
        let listening: TransferListening
        do {
            listening = try transport.call(RPC.ReplicaListen(ReplicaListenParams(
                transfer: id, name: guest, address: TransferAddress.numeric(standby.address, reached: nil),
                sourceAddress: TransferAddress.numeric(source.address, reached: nil), sourceFingerprint: key.fingerprint,
                deadlineSeconds: min(max(callTimeout, 10), 3600))), on: standby)
        } catch {
            // No free port in the standby's transfer range.
            if fallback && error.code == .unreachable { return .unreachable(error.message) }
            throw error
        }
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
            let nothingSent = atStandby?.message.contains("before the source connected") ?? false
            if fallback && error.code == .unreachable && nothingSent { return .unreachable(error.message) }
            if let atStandby, !nothingSent { throw atStandby }
            throw error
        }
        let point = try transport.call(RPC.ReplicaWait(transfer: id), on: standby, timeout: callTimeout + 600)
        try Self.check(guest, point: point, sent: sent, at: standby)
        return .synced(sent)
    }

    func relay(_ guest: String, from source: StoredHost, to standby: StoredHost) throws(FleetError) -> ReplicaSyncResult {
        let (sent, point) = try transport.relayReplicaSync(guest, transfer: DirectLayerCopy.newTransferId(), from: source, to: standby,
                                                           timeout: callTimeout)
        try Self.check(guest, point: point, sent: sent, at: standby)
        return sent
    }

    /// The standby committed the point the source was told of.
    static func check(_ guest: String, point: ReplicaPoint, sent: ReplicaSyncResult, at standby: StoredHost) throws(FleetError) {
        guard point.digest == sent.point.digest, point.point == sent.point.point else {
            throw .failed("the sync of guest \(guest) ended with point \(point.point) (\(point.digest.prefix(12))) at \(standby.name) but the source was told \(sent.point.point) (\(sent.point.digest.prefix(12)))")
        }
    }
}
