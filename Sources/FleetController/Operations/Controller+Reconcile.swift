import FleetProtocol
import Foundation

extension Controller {
    /// One thing reconcile found, and what it did or would do.
    public struct ReconcileAction: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable {
            case start, stop, create, reportUnknown = "report-unknown", unreachable, failed
            /// An operation in flight holds the guest (a move stopped it): left alone.
            case refused
        }
        public var kind: Kind
        public var guest: String?
        public var host: String
        public var detail: String
        /// false on a dry run, or when the action failed.
        public var done: Bool
    }

    /// `vfleet reconcile`: compares desired with actual on every host and
    /// fixes what is safe to fix: start, stop, create a missing guest. A guest
    /// a host runs that the controller does not know is reported, never touched.
    public func reconcile(dryRun: Bool) throws(FleetError) -> [ReconcileAction] {
        try recorder.record("fleet.reconcile", when: !dryRun) { (note: inout EventNote) throws(FleetError) in
            let actions = try reconcileHosts(dryRun: dryRun)
            let failed = actions.filter { $0.kind == .failed }.count
            note.detail = "\(actions.filter(\.done).count) fixed, \(actions.filter { $0.kind == .reportUnknown }.count) unknown reported, "
                + "\(actions.filter { $0.kind == .unreachable }.count) host(s) unreachable"
            if failed > 0 {
                note.outcome = .failed
                note.error = "\(failed) action(s) failed (see the guests' events)"
            }
            return actions
        }
    }

    func reconcileHosts(dryRun: Bool) throws(FleetError) -> [ReconcileAction] {
        let hosts = try store.hosts()
        let guests = try store.guests()
        let placements = Dictionary(uniqueKeysWithValues: try store.placements().map { ($0.guest, $0.host) })
        // A guest a move has stopped must not be started behind its back:
        // its copy elsewhere would go live without the writes.
        let held = Dictionary(try store.inFlight().compactMap { op in op.guest.map { ($0, op) } }, uniquingKeysWith: { a, _ in a })
        let observations = observe(hosts)
        let results = parallelMap(observations, maxParallel: settings.maxParallelHosts) { [self] o -> [ReconcileAction] in
            let host = o.host
            // A failed host starts and creates nothing (invariant 7): its
            // failed-over guests run on their standby hosts, and the ones
            // that had no replica wait for `host restore`.
            if host.state == .failed {
                return [ReconcileAction(kind: .refused, guest: nil, host: host.name,
                                        detail: "host \(host.name) is failed (`vfleet host fail`): nothing is started or created on it until `vfleet host reclaim` and `vfleet host restore`",
                                        done: false)]
            }
            guard let hello = o.hello else {
                return [ReconcileAction(kind: .unreachable, guest: nil, host: host.name, detail: o.error ?? "unreachable", done: false)]
            }
            var actions: [ReconcileAction] = []
            let actual = Dictionary(hello.host.guests.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            for g in guests where placements[g.name] == host.name {
                var action: ReconcileAction?
                if let status = actual[g.name] {
                    if g.desiredState == .running && status.state == .stopped {
                        action = ReconcileAction(kind: .start, guest: g.name, host: host.name, detail: "stopped, should run", done: false)
                    } else if g.desiredState == .stopped && status.state == .running {
                        action = ReconcileAction(kind: .stop, guest: g.name, host: host.name, detail: "runs, should be stopped", done: false)
                    }
                } else {
                    action = ReconcileAction(kind: .create, guest: g.name, host: host.name, detail: "missing on its host", done: false)
                }
                guard var a = action else { continue }
                if let op = held[g.name] {
                    actions.append(ReconcileAction(kind: .refused, guest: g.name, host: host.name,
                                                   detail: "\(a.detail); would \(a.kind.rawValue), refused: \(Self.inFlightMessage(g.name, op))", done: false))
                    continue
                }
                if !dryRun {
                    do throws(FleetError) {
                        try recorder.record("guest.\(a.kind.rawValue)", command: "fleet.reconcile", guest: g.name,
                                            host: host.name) { (note: inout EventNote) throws(FleetError) in
                            note.detail = a.detail
                            switch a.kind {
                            case .start: _ = try agents.call(RPC.GuestStart(name: g.name), on: host)
                            case .stop: _ = try agents.call(RPC.GuestStop(name: g.name), on: host)
                            case .create: _ = try realize(g, on: host)
                            default: break
                            }
                        }
                        a.done = true
                    } catch {
                        a = ReconcileAction(kind: .failed, guest: g.name, host: host.name, detail: "\(a.kind.rawValue) failed: \(error.message)", done: false)
                    }
                }
                actions.append(a)
            }
            for name in actual.keys.sorted() where placements[name] != host.name {
                let why = placements[name].map { "the controller places it on \($0)" } ?? "the controller does not know it"
                actions.append(ReconcileAction(kind: .reportUnknown, guest: name, host: host.name, detail: "\(why); left alone", done: false))
            }
            return actions
        }
        return results.flatMap { $0 }
    }
}
