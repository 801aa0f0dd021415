import FleetProtocol
import Foundation

/// What the move engine writes down, each row before the step it names is
/// taken, so that another controller can finish or undo a move whose
/// controller died (`ops resume`). The placement switch is here too: it is
/// the move's commit point.
protocol MoveJournal: Sendable {
    /// Starts a move's operation; refused when the guest has one in flight.
    func begin(_ params: MoveParams) throws(FleetError) -> Int64
    func beginStep(_ id: Int64, _ step: String) throws(FleetError)
    func noteStep(_ id: Int64, _ step: String, state: String, detail: String?) throws(FleetError)
    func updateParams(_ id: Int64, _ params: MoveParams) throws(FleetError)
    func switchPlacement(_ id: Int64, of guest: String, to host: String, origin: String?) throws(FleetError)
    /// The operation's fencing token, as this process's begin or claim made it.
    func fence(of id: Int64) throws(FleetError) -> Int64
    /// Ends the operation, or leaves it rollback_pending; `reason` (kept
    /// when nil) says why it was rolled back.
    func finish(_ id: Int64, _ state: StoredOperation.State, error: String?, reason: String?) throws(FleetError)
    /// A copy step (template, precopy, delta) begins sending: its row of
    /// bytes, for `ops show` and `vfleet_moved_bytes_total`.
    func beginTransfer(_ id: Int64, _ step: String) throws(FleetError) -> Int64
    /// Bytes sent so far, or with `ended` in all, and how (direct or relay).
    func noteTransfer(_ row: Int64, bytes: UInt64, totalBytes: UInt64?, transport: String?, ended: Bool) throws(FleetError)
}

/// The journal in the controller's store (tables `operations` and
/// `operation_steps`).
struct StoreJournal: MoveJournal {
    let store: FleetStore

    func begin(_ params: MoveParams) throws(FleetError) -> Int64 {
        try store.beginOperation(kind: "move", guest: params.guest, host: params.source, params: try params.json(), firstStep: "begin").id!
    }

    func beginStep(_ id: Int64, _ step: String) throws(FleetError) { try store.beginStep(id, step) }

    func noteStep(_ id: Int64, _ step: String, state: String, detail: String?) throws(FleetError) {
        try store.noteStep(id, step, state: state, detail: detail)
    }

    func updateParams(_ id: Int64, _ params: MoveParams) throws(FleetError) {
        try store.updateOperationParams(id, try params.json())
    }

    func switchPlacement(_ id: Int64, of guest: String, to host: String, origin: String?) throws(FleetError) {
        try store.switchPlacement(operation: id, of: guest, to: host, origin: origin)
    }

    func fence(of id: Int64) throws(FleetError) -> Int64 { try store.operation(id).fence }

    func finish(_ id: Int64, _ state: StoredOperation.State, error: String?, reason: String?) throws(FleetError) {
        try store.finishOperation(id, state: state, error: error, reason: reason)
    }

    func beginTransfer(_ id: Int64, _ step: String) throws(FleetError) -> Int64 { try store.beginTransfer(operation: id, step: step) }

    func noteTransfer(_ row: Int64, bytes: UInt64, totalBytes: UInt64?, transport: String?, ended: Bool) throws(FleetError) {
        try store.noteTransfer(row, bytes: bytes, totalBytes: totalBytes, transport: transport, ended: ended)
    }
}

extension MoveParams {
    func json() throws(FleetError) -> String {
        guard let data = try? JSONEncoder().encode(self) else { throw .failed("cannot encode move parameters") }
        return String(decoding: data, as: UTF8.self)
    }

    init?(json: String) {
        guard let p = try? JSONDecoder().decode(MoveParams.self, from: Data(json.utf8)) else { return nil }
        self = p
    }
}
