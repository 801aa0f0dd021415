import FleetProtocol

extension RPCServer {
    /// The replica methods (docs/PROTOCOL.md, replicas). A sync's listener
    /// lives in this channel's transfer table like a move's, keyed by its
    /// transfer id; the source's key comes from transfer.key.
    static let replicaHandlers: [String: LineHandler] = Dictionary(uniqueKeysWithValues: [
        handle(RPC.ReplicaListen.self) { s, p throws(FleetError) in
            guard s.transfers.listeners[p.transfer] == nil else { throw .conflict("replica.listen: transfer \(p.transfer) is already listening") }
            let listener = try s.agent.listenForReplica(p)
            s.transfers.listeners[p.transfer] = listener
            return TransferListening(port: listener.port, fingerprint: listener.identity.hex)
        },
        handle(RPC.ReplicaSend.self) { s, p throws(FleetError) in
            // One key, one transfer: it is gone whatever happens.
            guard let identity = s.transfers.keys.removeValue(forKey: p.transfer) else {
                throw .notFound("replica.send: no key for transfer \(p.transfer) on this channel (send transfer.key first)")
            }
            return try s.agent.sendReplica(p, identity: identity)
        },
        handle(RPC.ReplicaWait.self) { s, p throws(FleetError) in
            guard let listener = s.transfers.listeners.removeValue(forKey: p.transfer) else {
                throw .notFound("replica.wait: no listener for transfer \(p.transfer) on this channel")
            }
            let received = try listener.wait(cancel: p.cancel ?? false).get()
            guard let point = received.replica else { throw .failed("transfer \(p.transfer) ended without a replica point") }
            return point
        },
        handle(RPC.ReplicaShow.self) { s, p throws(FleetError) in try s.agent.replicaState(p.name, verify: p.verify ?? false) },
        handle(RPC.ReplicaDrop.self) { s, p throws(FleetError) in
            try s.agent.dropReplica(p.name)
            return EmptyResult()
        },
        handle(RPC.ReplicaPromote.self) { s, p throws(FleetError) in try s.agent.promoteReplica(p) },
        handle(RPC.ReplicaList.self) { s, _ throws(FleetError) in s.agent.replicaDirectories() },
    ])
}

extension RPCServer {
    /// replica.relay-send and replica.relay-receive: bulk methods whose
    /// stream is the sync's conversation in both directions. Whatever
    /// happens, this side's stream is ended and the other's read to its
    /// end before the response line, so the channel stays in step.
    func relayReplica(_ r: RPCRequest, input: InputReader) -> (String, Bool) {
        let conversation = RelayedConversation(input: input)
        let outcome: Result<EncodedResult, FleetError>
        do throws(FleetError) {
            guard greeted else { throw FleetError(.protocolError, "\(r.method): send hello first") }
            if r.method == RPC.ReplicaRelaySend.name {
                let p = try ReplicaRelaySendParams.decode(r.params, method: r.method)
                outcome = .success(EncodedResult(try agent.relaySendReplica(p, over: conversation)))
            } else {
                let p = try ReplicaRelayReceiveParams.decode(r.params, method: r.method)
                outcome = .success(EncodedResult(try agent.relayReceiveReplica(p, over: conversation)))
            }
        } catch {
            outcome = .failure(error)
        }
        let inStep = conversation.finish()
        switch outcome {
        case .success(let result):
            do throws(FleetError) { return (try RPCResultLine(id: r.id, result: result).line(), inStep) } catch {
                return (RPCResponse(id: r.id, error: error).line(), inStep)
            }
        case .failure(let error):
            return (RPCResponse(id: r.id, error: error).line(), inStep)
        }
    }
}
