import FleetProtocol
import Foundation

/// A sync relayed through the controller (replica.relay-send and
/// replica.relay-receive): the halves of Agent+Replica's conversation,
/// run over this agent's RPC channel instead of a TLS connection to the
/// other host. Used when the standby's transfer port cannot be reached
/// from the source; the point, its digest check and its commit are the same.
extension Agent {
    /// replica.relay-send (source).
    func relaySendReplica(_ p: ReplicaRelaySendParams, over conversation: RelayedConversation) throws(FleetError) -> ReplicaSyncResult {
        guard TransferIdentity.validTransferId(p.transfer) else { throw .invalid("replica.relay-send: transfer id must be 32 lowercase hex digits") }
        try Names.validate(p.name, kind: "guest")
        let began = Date()
        let record = try guests.load(p.name)
        let reading = try readLayer(p.name, staging: false)
        defer { reading.end() }
        return try sendReplica(record, layer: reading.directory, standby: p.standbyAddress, over: conversation, began: began)
    }

    /// replica.relay-receive (standby): the next point, committed only
    /// when complete and verified; on failure the source learns why.
    func relayReceiveReplica(_ p: ReplicaRelayReceiveParams, over conversation: RelayedConversation) throws(FleetError) -> ReplicaPoint {
        let result: Result<ReplicaPoint, FleetError>
        if !TransferIdentity.validTransferId(p.transfer) {
            result = .failure(.invalid("replica.relay-receive: transfer id must be 32 lowercase hex digits"))
        } else if !Names.isValid(p.name) {
            result = .failure(.invalid("replica.relay-receive: invalid guest name \"\(p.name)\""))
        } else if guests.exists(p.name) {
            result = .failure(.conflict("guest \(p.name) exists on this host: a host is not the standby of a guest it runs (move the replica elsewhere)"))
        } else {
            result = receiveReplica(p.name, transfer: p.transfer, over: conversation)
        }
        switch result {
        case .success(let point):
            return point
        case .failure(let error):
            try? ReplicaWire.send(ReplicaWire.Outcome(point: nil, error: error.message), over: conversation, what: "outcome")
            throw error
        }
    }
}
