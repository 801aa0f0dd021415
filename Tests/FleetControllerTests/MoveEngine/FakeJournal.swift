@testable import FleetController
import FleetProtocol

/// The store's journal, as a controller that may die sees it: once the
/// fake agents say the controller is dead, nothing it writes lands. The
/// placement switch counts as a call, so faults can be planted there too.
struct FakeJournal: MoveJournal {
    let store: StoreJournal
    let agents: FakeAgents

    func begin(_ params: MoveParams) throws(FleetError) -> Int64 { try alive().begin(params) }

    func beginStep(_ id: Int64, _ step: String) throws(FleetError) {
        try alive().beginStep(id, step)
        agents.stepBegun(step)
    }

    func noteStep(_ id: Int64, _ step: String, state: String, detail: String?) throws(FleetError) {
        try alive().noteStep(id, step, state: state, detail: detail)
    }

    func updateParams(_ id: Int64, _ params: MoveParams) throws(FleetError) { try alive().updateParams(id, params) }

    func switchPlacement(_ id: Int64, of guest: String, to host: String, origin: String?) throws(FleetError) {
        let store = store
        try agents.perform("placement of \(guest)") { _ throws(FleetError) in try store.switchPlacement(id, of: guest, to: host, origin: origin) }
    }

    func fence(of id: Int64) throws(FleetError) -> Int64 { try alive().fence(of: id) }

    func finish(_ id: Int64, _ state: StoredOperation.State, error: String?, reason: String?) throws(FleetError) {
        try alive().finish(id, state, error: error, reason: reason)
    }

    func beginTransfer(_ id: Int64, _ step: String) throws(FleetError) -> Int64 { try alive().beginTransfer(id, step) }

    func noteTransfer(_ row: Int64, bytes: UInt64, totalBytes: UInt64?, transport: String?, ended: Bool) throws(FleetError) {
        try alive().noteTransfer(row, bytes: bytes, totalBytes: totalBytes, transport: transport, ended: ended)
    }

    private func alive() throws(FleetError) -> StoreJournal {
        if agents.isDead { throw FleetError(.failed, "the controller is dead") }
        return store
    }
}
