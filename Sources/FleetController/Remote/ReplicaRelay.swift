import FleetProtocol
import Foundation
import Synchronization

/// One sync relayed through this controller, for when the standby's
/// transfer port cannot be reached from the source: replica.relay-send on
/// a bulk channel to the source, replica.relay-receive on one to the
/// standby, and the sync's conversation carried both ways, each direction
/// by LayerRelay (the move's relay: chunks until the end chunk, a bounded
/// queue between reading and writing). The agents run the same
/// conversation as over a direct connection, so the point, its digest
/// check and the standby's commit are the same.
enum ReplicaRelay {
    /// Runs the sync; returns what the source reports and the point the standby committed.
    static func sync(_ guest: String, transfer: String, standbyAddress: String, source: AgentChannel, standby: AgentChannel,
                     timeout: Double) throws(FleetError) -> (sent: ReplicaSyncResult, point: ReplicaPoint) {
        // The standby first: it speaks first (its base).
        let receiveId = try standby.send(RPC.ReplicaRelayReceive(ReplicaRelayReceiveParams(transfer: transfer, name: guest)))
        let sendId = try source.send(RPC.ReplicaRelaySend(ReplicaRelaySendParams(transfer: transfer, name: guest, standbyAddress: standbyAddress)))
        // A direction that breaks (an agent killed, a link cut) closes both
        // channels, so the other direction's wait ends too.
        let broken = Atomic<Bool>(false)
        let abort: @Sendable () -> Void = {
            if !broken.exchange(true, ordering: .relaxed) {
                source.close()
                standby.close()
            }
        }
        // A direction waits while the other end works (the standby's base
        // of a big layer; the whole transfer, for the standby's outcome).
        let readTimeout = timeout + 600
        let back = BackgroundResult<UInt64> { () throws(FleetError) -> UInt64 in
            do throws(FleetError) {
                return try LayerRelay.relay(from: standby.ssh, to: source.ssh, sourceHost: standby.host, destinationHost: source.host,
                                            timeout: readTimeout, progress: { _ in })
            } catch {
                abort()
                throw error
            }
        }
        let forth: Result<UInt64, FleetError>
        do throws(FleetError) {
            forth = .success(try LayerRelay.relay(from: source.ssh, to: standby.ssh, sourceHost: source.host, destinationHost: standby.host,
                                                  timeout: readTimeout, progress: { _ in }))
        } catch {
            abort()
            forth = .failure(error)
        }
        let backResult = back.wait()
        if case .failure(let e) = forth { throw e }
        if case .failure(let e) = backResult { throw e }
        // Both streams ended in step: the two answers follow.
        let sent: Result<ReplicaSyncResult, FleetError>
        do throws(FleetError) { sent = .success(try source.result(of: RPC.ReplicaRelaySend.self, id: sendId, timeout: readTimeout)) } catch {
            sent = .failure(error)
        }
        let point: Result<ReplicaPoint, FleetError>
        do throws(FleetError) { point = .success(try standby.result(of: RPC.ReplicaRelayReceive.self, id: receiveId, timeout: readTimeout)) } catch {
            point = .failure(error)
        }
        switch (sent, point) {
        case (.success(let s), .success(let p)): return (s, p)
        case (.failure(let e), .success), (.success, .failure(let e)): throw e
        case (.failure(let atSource), .failure(let atStandby)):
            // One failure causes the other; both say what they saw.
            throw FleetError(atSource.code, "\(atSource.message) (the standby: \(atStandby.message))")
        }
    }
}
