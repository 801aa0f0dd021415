import FleetProtocol
import FleetScheduler
import Foundation

/// Cold migration (DESIGN.md, migration invariants): pre-copy the guest's
/// own layer while it runs, stop it, send what changed, verify by digest at
/// the destination, adopt and start it there, and only then switch the
/// placement and remove the source copy. Here the destination is chosen;
/// the steps are in Move/ (MoveStep, run by MoveEngine).
extension Controller {
    /// The move engine over this controller's store, journal and transport.
    var moveEngine: MoveEngine {
        MoveEngine(store: store, journal: StoreJournal(store: store), transport: agents, callTimeout: settings.callTimeout)
    }

    /// `vfleet guest move NAME [--to H] [--keep-source]`.
    public func moveGuest(_ name: String, to destination: String?, keepSource: Bool = false,
                          origin: String? = nil, progress: @escaping @Sendable (MoveProgress) -> Void = { _ in }) throws(FleetError) -> MoveResult {
        try moveGuest(name, to: destination, keepSource: keepSource, origin: origin, within: nil, progress: progress)
    }

    /// `within`: the command this move is part of (evacuate, restore,
    /// rebalance), for its event.
    func moveGuest(_ name: String, to destination: String?, keepSource: Bool = false, origin: String? = nil, within command: String?,
                   progress: @escaping @Sendable (MoveProgress) -> Void) throws(FleetError) -> MoveResult {
        try recorder.record("guest.move", command: command, guest: name, host: (try? store.placement(of: name))??.host,
                            toHost: destination) { (note: inout EventNote) throws(FleetError) in
            // A sync of the guest in flight ends first (Controller+SyncLock).
            try awaitSyncEnd(of: name)
            let params = try planMove(name, to: destination, keepSource: keepSource, origin: origin)
            note.host = params.source
            note.toHost = params.destination
            do throws(FleetError) {
                var result = try moveEngine.start(params, begun: { note.operation = $0 }, progress: progress)
                // Outside the journaled steps: the move is done whatever
                // becomes of the replica (Controller+ReplicaRetarget).
                if let followed = followReplica(afterMoveOf: name) {
                    result.replica = followed
                    result.notes = (result.notes ?? []) + [followed.line]
                }
                return result
            } catch {
                if let id = note.operation, (try? store.operation(id))?.state == .rolledBack { note.outcome = .rolledBack }
                throw error
            }
        }
    }

    /// The move's parameters: the destination given (checked) or the
    /// scheduler's, and whether the guest runs now.
    func planMove(_ name: String, to destination: String?, keepSource: Bool, origin: String?) throws(FleetError) -> MoveParams {
        let guest = try store.guest(name)
        let source = try hostOf(name)
        let target: String
        if let destination {
            guard destination != source.name else { throw .invalid("guest \(name) is on \(destination) already") }
            // The scheduler below refuses this too (the pool's label); said
            // here in the operator's terms.
            if let pool = try addressPools(of: name).first(where: { !$0.serves(destination) }) {
                throw .conflict("cannot move guest \(name) to \(destination): its address comes from pool \(pool.name), which serves only \(pool.hosts.joined(separator: ", "))")
            }
            var scheduler = try scheduler()
            scheduler.remove(guest: name)
            let templates = Dictionary(uniqueKeysWithValues: try store.templates().map { ($0.name, $0) })
            switch scheduler.place(demand(guest, templates: templates), on: destination) {
            case .failure(let f): throw FleetError(.conflict, f.description)
            case .success: target = destination
            }
        } else {
            target = try chooseDestination(for: guest, excluding: source.name)
        }
        let status = try agents.call(RPC.GuestStatus(name: name), on: source)
        var params = MoveParams(guest: name, source: source.name, destination: target, keepSource: keepSource,
                                wasRunning: status.state == .running, digest: nil, origin: origin)
        params.transport = moveTransport.mode.rawValue
        return params
    }

    /// The scheduler's choice for a guest leaving `excluding`.
    func chooseDestination(for guest: StoredGuest, excluding: String) throws(FleetError) -> String {
        let hosts = try store.hosts()
        var scheduler = Scheduler(hosts: capacities(hosts).map { h in
            var c = h
            if c.name == excluding { c.cordoned = true }
            return c
        }, placed: try placedGuests(), policy: settings.placementPolicy)
        scheduler.remove(guest: guest.name)
        let templates = Dictionary(uniqueKeysWithValues: try store.templates().map { ($0.name, $0) })
        switch scheduler.place(demand(guest, templates: templates)) {
        case .failure(let f): throw FleetError(.conflict, f.description)
        case .success(let h): return h
        }
    }

    /// The pools the guest's addresses come from.
    func addressPools(of guest: String) throws(FleetError) -> [StoredAddressPool] {
        let names = Set(try store.addresses().filter { $0.guest == guest }.compactMap(\.pool))
        return try store.pools().filter { names.contains($0.name) }
    }
}
