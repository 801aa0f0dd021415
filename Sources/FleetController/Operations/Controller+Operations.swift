import FleetProtocol
import Foundation
import Glibc

extension Controller {
    public struct ResumeOutcome: Codable, Sendable {
        public var operation: Int64
        public var guest: String?
        /// done, rolled_back, skipped, failed.
        public var outcome: String
        public var detail: String
    }

    /// `vfleet ops resume [ID]`: finishes or rolls back operations left in
    /// flight by a controller that died. An operation whose owner still runs
    /// on this machine is left to it.
    public func resumeOperations(_ id: Int64?) throws(FleetError) -> [ResumeOutcome] {
        let ops: [StoredOperation]
        if let id {
            let op = try store.operation(id)
            guard op.state == .running else {
                throw .conflict("operation \(id) is not in flight (it is \(op.state.rawValue))")
            }
            ops = [op]
        } else {
            ops = try store.inFlight()
        }
        var outcomes: [ResumeOutcome] = []
        for op in ops {
            if let pid = Self.livePid(owner: op.owner), pid != getpid() {
                outcomes.append(ResumeOutcome(operation: op.id!, guest: op.guest, outcome: "skipped",
                                              detail: "still being run by \(op.owner)"))
                continue
            }
            outcomes.append(moveEngine.resume(op))
        }
        return outcomes
    }

    /// The pid of an owner "PID@HOST" if it is this machine and alive.
    static func livePid(owner: String) -> Int32? {
        let parts = owner.split(separator: "@", maxSplits: 1)
        guard parts.count == 2, String(parts[1]) == ProcessInfo.processInfo.hostName, let pid = Int32(parts[0]) else { return nil }
        return kill(pid, 0) == 0 ? pid : nil
    }

    /// Refuses to act on a guest another operation is moving.
    func assertNoOperation(_ guest: String) throws(FleetError) {
        if let op = try store.operationInFlight(guest: guest) {
            throw .conflict("guest \(guest) has operation \(op.id ?? 0) (\(op.kind), step \(op.step)) in flight, run by \(op.owner); wait, or `vfleet ops resume \(op.id ?? 0)` if that controller died")
        }
    }
}
