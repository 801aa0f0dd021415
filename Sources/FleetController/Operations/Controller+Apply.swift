import FleetProtocol
import FleetScheduler
import Foundation

extension Controller {
    /// One line of an apply plan.
    public struct ApplyStep: Codable, Sendable, Equatable {
        public enum Action: String, Codable, Sendable {
            case create, start, stop, unchanged
            /// A replica made, moved to another standby, or its interval
            /// changed (the fleet file's `replicate:`).
            case replicate
            /// The replica dropped (`replicate: false`).
            case unreplicate
            /// The file asks for something apply does not change in place
            /// (template, limits, placement of an existing guest).
            case differs
            /// Cannot be done: fits nowhere, unknown template, …
            case impossible
        }
        public var action: Action
        public var guest: String
        public var host: String?
        public var detail: String
        public var error: String?
        /// The standby host of a replicate or unreplicate step.
        public var standby: String? = nil
    }

    /// Computes what `apply` would do, placing new guests with the scheduler
    /// one after the other (so the plan accounts for its own placements).
    public func plan(_ file: FleetFile) throws(FleetError) -> [ApplyStep] {
        var scheduler = try scheduler()
        let templates = Dictionary(uniqueKeysWithValues: try store.templates().map { ($0.name, $0) })
        let existing = Dictionary(uniqueKeysWithValues: try store.guests().map { ($0.name, $0) })
        let placements = Dictionary(uniqueKeysWithValues: try store.placements().map { ($0.guest, $0.host) })
        let replicas = Dictionary(uniqueKeysWithValues: try store.replicas().map { ($0.guest, $0) })
        var steps: [ApplyStep] = []
        for entry in file.guests {
            let r = entry.request
            let name = r.spec.name
            if let current = existing[name] {
                let host = placements[name]
                let before = steps.count
                var differences: [String] = []
                if current.spec.template != r.spec.template { differences.append("template \(current.spec.template) → \(r.spec.template)") }
                if current.spec.limits != r.spec.limits { differences.append("limits") }
                if let h = r.host, h != host { differences.append("host \(host ?? "-") → \(h)") }
                if current.groupName != r.group { differences.append("group") }
                if !differences.isEmpty {
                    steps.append(ApplyStep(action: .differs, guest: name, host: host,
                                           detail: "differs from the file (\(differences.joined(separator: ", "))): not changed in place; destroy and re-apply, or move it", error: nil))
                }
                if current.desiredState != r.desiredState {
                    steps.append(ApplyStep(action: r.desiredState == .running ? .start : .stop, guest: name, host: host,
                                           detail: "desired \(current.desiredState.rawValue) → \(r.desiredState.rawValue)", error: nil))
                }
                if let step = replicaStep(entry.replicate, guest: current, demand: demand(current, templates: templates), host: host,
                                          current: replicas[name], scheduler: scheduler) {
                    steps.append(step)
                }
                if steps.count == before {
                    steps.append(ApplyStep(action: .unchanged, guest: name, host: host, detail: "as in the file", error: nil))
                }
                continue
            }
            guard templates[r.spec.template] != nil else {
                steps.append(ApplyStep(action: .impossible, guest: name, host: nil, detail: "unknown template \(r.spec.template)",
                                       error: "unknown template \(r.spec.template) (vfleet template add)"))
                continue
            }
            let d = demand(storedGuest(r), templates: templates)
            let result = r.host.map { scheduler.place(d, on: $0) } ?? scheduler.place(d)
            switch result {
            case .success(let host):
                steps.append(ApplyStep(action: .create, guest: name, host: host,
                                       detail: "create on \(host)\(r.desiredState == .running ? " and start" : "")", error: nil))
                if let step = replicaStep(entry.replicate, guest: storedGuest(r), demand: d, host: host, current: nil, scheduler: scheduler) {
                    steps.append(step)
                }
            case .failure(let f):
                steps.append(ApplyStep(action: .impossible, guest: name, host: nil, detail: "fits nowhere", error: f.description))
            }
        }
        return steps
    }

    /// Makes the plan true. Steps run one after the other; a failing step is
    /// reported and the others still run.
    public func apply(_ file: FleetFile, plan steps: [ApplyStep]) -> [ApplyStep] {
        let requests = Dictionary(uniqueKeysWithValues: file.guests.map { ($0.request.spec.name, $0.request) })
        let replication = Dictionary(uniqueKeysWithValues: file.guests.map { ($0.request.spec.name, $0.replicate) })
        // A guest whose creation failed gets no replica.
        var failedCreates: Set<String> = []
        var done: [ApplyStep] = []
        // The body never throws: a failing step is in its line of the result.
        try? recorder.record("fleet.apply") { (note: inout EventNote) throws(FleetError) in
            for var step in steps {
                do throws(FleetError) {
                    switch step.action {
                    case .create:
                        guard var r = requests[step.guest] else { continue }
                        r.host = step.host
                        do throws(FleetError) { _ = try createGuest(r, within: "fleet.apply") } catch {
                            failedCreates.insert(step.guest)
                            throw error
                        }
                    case .start:
                        _ = try startGuest(step.guest, within: "fleet.apply")
                    case .stop:
                        _ = try stopGuest(step.guest, within: "fleet.apply")
                    case .replicate, .unreplicate:
                        guard !failedCreates.contains(step.guest) else { throw .failed("guest \(step.guest) was not created (see its create step)") }
                        try applyReplicaStep(step, wanted: replication[step.guest] ?? nil)
                    case .unchanged, .differs, .impossible:
                        break
                    }
                } catch {
                    step.error = error.message
                }
                done.append(step)
            }
            let changes = done.filter { [.create, .start, .stop, .replicate, .unreplicate].contains($0.action) }
            let failed = done.filter { $0.error != nil }.count
            note.detail = "\(changes.count) change(s) of \(done.count) guest(s) in the file"
            if failed > 0 {
                note.outcome = .failed
                note.error = "\(failed) of \(done.count) steps failed (see the guests' events)"
            }
        }
        return done
    }
}
