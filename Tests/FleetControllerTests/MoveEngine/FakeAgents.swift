@testable import FleetController
import FleetProtocol
import Synchronization

/// Two agents in memory behind the transport seam, for the move engine's
/// unit tests: templates, guests (running or not, each with a layer of
/// files), staging areas. One fault can be planted at the k-th agent call
/// of a step: an error (nothing happened), a timeout (it happened, the
/// answer was lost) or the controller's death (nothing more it does takes
/// effect, neither at the agents nor in the journal).
final class FakeAgents: AgentTransport {
    struct Guest: Equatable {
        var running: Bool
        var layer: [String: String]
        /// Bumped by every start, as the real agent's guest record is.
        var generation = 0
    }

    struct Host {
        var templates: Set<String> = []
        var guests: [String: Guest] = [:]
        var staging: [String: [String: String]] = [:]
    }

    enum FaultKind: String, CaseIterable, Sendable { case error, timeout, death }

    struct Fault: Sendable, CustomStringConvertible {
        var step: MoveStep
        /// Which call of the step, from 0; -1: right after the journal row.
        var call: Int
        var kind: FaultKind
        /// Instead of `call`: the first call of this kind ("guest.digest on
        /// host1") in `step` or after it, for a call made in the background
        /// whose step depends on the threads.
        var label: String? = nil
        /// The fakes are agents that give no digest with a delta (older
        /// ones): the move asks guest.digest beside the delta.
        var withoutDeltaDigest = false
        var description: String {
            "\(kind) at \(step.rawValue) " + (label.map { "first \($0)" } ?? "call \(call)") + (withoutDeltaDigest ? " (older agents)" : "")
        }

        /// The first fault of `kind` a step can meet. Verify makes no call
        /// of its own: it takes the digest the delta brought or, from older
        /// agents, waits for the one asked for in the background from the
        /// delta on, so its fault is planted there, with older agents.
        static func first(in step: MoveStep, _ kind: FaultKind) -> Fault {
            step == .verify ? Fault(step: .delta, call: 0, kind: kind, label: FakeAgents.backgroundCall, withoutDeltaDigest: true)
                : Fault(step: step, call: 0, kind: kind)
        }

        func matches(step current: String, call index: Int, what: String) -> Bool {
            if let label {
                guard let at = MoveStep.allCases.firstIndex(where: { $0.rawValue == current }) else { return false }
                return at >= MoveStep.allCases.firstIndex(of: step)! && what == label
            }
            return step.rawValue == current && call == index
        }
    }

    struct State {
        var hosts: [String: Host] = [:]
        /// The step the journal says the engine is in.
        var step = ""
        var callsInStep = 0
        var callsPerStep: [String: Int] = [:]
        var fault: Fault?
        var fired = false
        var dead = false
        /// The guest's layer as its last writer left it: what must survive.
        var latestLayer: [String: String] = [:]
        var writes = 0
        /// Moments the guest ran on two hosts at once.
        var violations: [String] = []
        /// Hosts whose agent does not answer (a failed handshake).
        var unreachable: Set<String> = []
        /// Made unreachable when the journal's rollback row is written.
        var unreachableInRollback: String?
        /// Run when the journal's row of this step is written, before the
        /// step: a change from outside at that moment.
        var onStep: (step: String, change: @Sendable (inout State) -> Void)?
        /// Per "host/guest", the highest fencing token seen, as a real
        /// agent keeps it (FenceStore); and the calls refused by it.
        var fences: [String: Int64] = [:]
        var fenceRefusals: [String] = []
        /// Every digest asked for: of which host's layer, staged or not, in which step.
        var digestCalls: [(host: String, staging: Bool, step: String)] = []
        /// The source's agent gives its layer's digest with a delta when
        /// asked (transfer.send's and guest.export's `digest`) and says so
        /// in its answers; false: an older agent, which refuses `digest`.
        var deltaDigest = true
        /// The deltas asked to bring the source's digest.
        var deltasWithDigest = 0
    }

    let state = Mutex(State())
    /// The source's digest: cleanup's check, asked for while the destination
    /// starts, and, from older agents, verify's, asked for beside the delta.
    static let backgroundCall = "guest.digest on host1"
    /// The pre-copy's progress total, asked for while the copy runs: best
    /// effort, and on no fixed place among the step's calls either.
    static let progressTotalCall = "guest.manifest on host1"

    init(guest: String, running: Bool) {
        state.withLock { s in
            let layer = ["etc/hostname": guest, "data/a": "1"]
            s.hosts["host1"] = Host(templates: ["busybox"], guests: [guest: Guest(running: running, layer: layer)])
            s.hosts["host2"] = Host()
            s.latestLayer = layer
        }
    }

    /// Every agent call (and the placement switch) passes here.
    func perform<R>(_ what: String, _ effect: (inout State) throws(FleetError) -> R) throws(FleetError) -> R {
        try state.withLock { s throws(FleetError) -> R in
            if s.dead { throw FleetError(.unreachable, "\(what): the controller is dead") }
            // The source's digest runs in the background from the delta on:
            // it falls in the delta or in the verification as the threads
            // go, so it has no index in a step (faults find it by label).
            var index = -2
            if what != Self.backgroundCall && what != Self.progressTotalCall {
                index = s.callsInStep
                s.callsInStep += 1
                s.callsPerStep[s.step] = s.callsInStep
            }
            if let f = s.fault, !s.fired, f.matches(step: s.step, call: index, what: what) {
                s.fired = true
                switch f.kind {
                case .error:
                    throw FleetError(.unreachable, "host: \(what) failed: injected")
                case .timeout:
                    _ = try? effect(&s)
                    s.checkOneRunning(what)
                    throw FleetError(.unreachable, "host: no answer to \(what) within 1 s (injected)")
                case .death:
                    s.dead = true
                    throw FleetError(.unreachable, "\(what): the controller died")
                }
            }
            let r = try effect(&s)
            s.checkOneRunning(what)
            return r
        }
    }

    /// The journal's side: a row for `step` was written.
    func stepBegun(_ step: String) {
        state.withLock { s in
            s.step = step
            s.callsInStep = 0
            if step == "rollback", let h = s.unreachableInRollback { s.unreachable.insert(h) }
            if let hook = s.onStep, hook.step == step {
                s.onStep = nil
                hook.change(&s)
            }
            if let f = s.fault, !s.fired, f.kind == .death, f.label == nil, f.call == -1, f.step.rawValue == step {
                s.fired = true
                s.dead = true
            }
        }
    }

    var isDead: Bool { state.withLock { $0.dead } }

    // MARK: AgentTransport

    func call<M: AgentMethod>(_ method: M, on host: StoredHost, timeout: Double?) throws(FleetError) -> M.Result {
        let h = host.name
        let result: any Sendable = try perform("\(M.name) on \(h)") { s throws(FleetError) -> any Sendable in
            guard var agent = s.hosts[h], !s.unreachable.contains(h) else {
                throw FleetError(.unreachable, "host \(h): ssh handshake failed: connection refused (injected)")
            }
            defer { s.hosts[h] = agent }
            guard let fenced = method as? any FencedAgentMethod else { return try Self.answer(method, on: h, agent: &agent, state: &s) }
            let key = "\(h)/\(fenced.fence.guest)"
            if fenced.fence.token < s.fences[key, default: 0] {
                s.fenceRefusals.append("\(M.name) on \(h) with token \(fenced.fence.token)")
                throw FleetError.conflict("guest \(fenced.fence.guest): \(M.name) refused: fencing token \(fenced.fence.token) is older than \(s.fences[key]!) (injected agent)")
            }
            s.fences[key] = fenced.fence.token
            return try Self.answer(fenced.unfenced, on: h, agent: &agent, state: &s)
        }
        return result as! M.Result
    }

    func greet(_ hosts: [StoredHost], maxParallel: Int, timeout: Double) -> [Result<HelloResult, FleetError>] {
        hosts.map { .failure(FleetError(.unsupported, "host \($0.name): the fake agents do not greet")) }
    }

    func sendTemplate(_ template: StoredTemplate, to host: StoredHost) throws(FleetError) {
        _ = try perform("template.receive on \(host.name)") { s throws(FleetError) in s.hosts[host.name]?.templates.insert(template.name) }
    }

    func openLayerCopy(from source: StoredHost, to destination: StoredHost) throws(FleetError) -> any LayerCopy {
        FakeLayerCopy(agents: self, source: source.name, destination: destination.name)
    }

    private static func answer<M: AgentMethod>(_ method: M, on h: String, agent: inout Host, state s: inout State) throws(FleetError) -> any Sendable {
        switch method {
        case is RPC.TemplateList:
            return agent.templates.sorted().map { TemplateInfo(name: $0, digest: "d-\($0)", fileCount: 1, totalBytes: 1, initStyle: .plain,
                                                               defaultInit: ["/sbin/init"], source: "fake", createdAt: 0) }
        case let m as RPC.GuestStatus:
            guard let g = agent.guests[m.params.name] else { throw FleetError.notFound("no guest \(m.params.name) on \(h)") }
            return status(m.params.name, g)
        case let m as RPC.GuestStop:
            guard var g = agent.guests[m.params.name] else { throw FleetError.notFound("no guest \(m.params.name) on \(h)") }
            g.running = false
            agent.guests[m.params.name] = g
            return GuestOperationResult(guest: status(m.params.name, g))
        case let m as RPC.GuestStart:
            guard var g = agent.guests[m.params.name] else { throw FleetError.notFound("no guest \(m.params.name) on \(h)") }
            guard !g.running else { throw FleetError.conflict("guest \(m.params.name) runs already on \(h)") }
            g.running = true
            g.generation += 1
            agent.guests[m.params.name] = g
            return GuestOperationResult(guest: status(m.params.name, g))
        case let m as RPC.GuestDestroy:
            guard let g = agent.guests[m.params.name] else { throw FleetError.notFound("no guest \(m.params.name) on \(h)") }
            if g.running && m.params.force != true { throw FleetError.conflict("guest \(m.params.name) runs on \(h) (stop it first)") }
            agent.guests[m.params.name] = nil
            return GuestOperationResult(guest: nil)
        case let m as RPC.GuestDiscardStaging:
            agent.staging[m.params.name] = nil
            return EmptyResult()
        case let m as RPC.GuestManifest:
            guard let layer = m.params.staging ? agent.staging[m.params.name] : agent.guests[m.params.name]?.layer else {
                throw FleetError.notFound("no layer of \(m.params.name) on \(h)")
            }
            return LayerManifest(encoded: m.params.summary == true ? "" : "[]", entries: layer.count, totalBytes: UInt64(layer.count))
        case let m as RPC.GuestDigest:
            s.digestCalls.append((h, m.params.staging, s.step))
            guard let layer = m.params.staging ? agent.staging[m.params.name] : agent.guests[m.params.name]?.layer else {
                throw FleetError.notFound("no layer of \(m.params.name) on \(h)")
            }
            return LayerDigest(digest: digest(layer), fileCount: layer.count, totalBytes: UInt64(layer.count))
        case let m as RPC.GuestAdopt:
            let name = m.params.spec.name
            if let g = agent.guests[name] {
                if digest(g.layer) == m.params.digest && agent.staging[name] == nil { return GuestOperationResult(guest: status(name, g)) }
                throw FleetError.conflict("cannot adopt guest \(name): a guest of that name exists on this host")
            }
            guard agent.templates.contains(m.params.spec.template) else { throw FleetError.notFound("no template \(m.params.spec.template) on \(h)") }
            guard let staged = agent.staging[name] else { throw FleetError.notFound("nothing staged for guest \(name) on \(h)") }
            // The real agent digests the staged tree again here (Agent.adopt).
            guard digest(staged) == m.params.digest else { throw FleetError.failed("cannot adopt guest \(name): its staged layer has another digest") }
            agent.guests[name] = Guest(running: false, layer: staged)
            agent.staging[name] = nil
            return GuestOperationResult(guest: status(name, agent.guests[name]!))
        default:
            throw FleetError(.unsupported, "the fake agents do not answer \(M.name)")
        }
    }

    static func digest(_ layer: [String: String]) -> String {
        layer.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
    }

    static func status(_ name: String, _ g: Guest) -> FleetProtocol.GuestStatus {
        FleetProtocol.GuestStatus(name: name, template: "busybox", state: g.running ? .running : .stopped, contextId: 100,
                                  limits: GuestLimits(), autostart: false, network: .host, capabilities: [], generation: g.generation)
    }
}

/// What someone outside the move does to the hosts while its controller is
/// dead (or between two of its steps).
extension FakeAgents.State {
    /// One byte of a staged file changed (whatever its size and mtime say).
    mutating func corruptStaging(_ guest: String, on host: String = "host2") {
        guard var staged = hosts[host]?.staging[guest], let file = staged.keys.sorted().first else { return }
        staged[file] = staged[file]! + "!"
        hosts[host]?.staging[guest] = staged
    }

    /// The source started (by hand, or by a reconcile that did not look).
    mutating func startSource(_ guest: String, on host: String = "host1") {
        guard var g = hosts[host]?.guests[guest] else { return }
        if !g.running { g.generation += 1 }
        g.running = true
        hosts[host]?.guests[guest] = g
    }

    /// The source started, took a write and stopped again.
    mutating func runSource(_ guest: String, on host: String = "host1") {
        guard var g = hosts[host]?.guests[guest] else { return }
        let wasRunning = g.running
        if !g.running { g.generation += 1 }
        writes += 1
        g.layer["data/outside"] = "\(writes)"
        g.running = wasRunning
        hosts[host]?.guests[guest] = g
        latestLayer = g.layer
    }

    /// The source's layer edited on the host, without a start.
    mutating func editSource(_ guest: String, on host: String = "host1") {
        guard var g = hosts[host]?.guests[guest] else { return }
        g.layer["data/a"] = (g.layer["data/a"] ?? "") + "+"
        hosts[host]?.guests[guest] = g
        latestLayer = g.layer
    }

    mutating func checkOneRunning(_ after: String) {
        let running = hosts.filter { $0.value.guests.values.contains(where: \.running) }.map(\.key).sorted()
        if running.count > 1 { violations.append("runs on \(running) after \(after)") }
    }
}

/// A move's layer streams between the fake agents. A running guest writes
/// while its layer is copied: what the pre-copy took is then out of date,
/// and only the delta after the stop makes the staged copy whole.
final class FakeLayerCopy: LayerCopy {
    let agents: FakeAgents
    let source: String
    let destination: String
    private let exportedWhole = Mutex(false)

    init(agents: FakeAgents, source: String, destination: String) {
        self.agents = agents
        self.source = source
        self.destination = destination
    }

    func copy(_ guest: String, base: LayerBase, digest: Bool, progress: (UInt64) -> Void) throws(FleetError) -> LayerCopyStats {
        let whole = exportedWhole.withLock { $0 }
        let (src, dst) = (source, destination)
        let (bytes, sourceDigest, offers) = try agents.perform("guest.export \(guest) \(src) -> \(dst)") {
            s throws(FleetError) -> (UInt64, LayerDigest?, Bool) in
            if let h = [src, dst].first(where: s.unreachable.contains) { throw FleetError(.unreachable, "host \(h): ssh handshake failed (injected)") }
            guard var g = s.hosts[src]?.guests[guest] else { throw FleetError.notFound("no guest \(guest) on \(src)") }
            if base == .lastExport && !whole {
                throw FleetError.invalid("guest.export: no full export of guest \(guest) on this channel to compare with (send \"since\")")
            }
            // An older agent refuses the parameter; a newer one says it has it.
            let offers = s.deltaDigest && !(s.fault?.withoutDeltaDigest ?? false)
            if digest && !offers { throw FleetError.invalid("guest.export: unknown parameter \"digest\" (allowed: name, since, sinceExported)") }
            s.hosts[dst]?.staging[guest] = g.layer
            // The real agent digests what the delta's scan found (the layer
            // as sent); it refuses to for a running guest.
            var sourceDigest: LayerDigest?
            if digest && base != .whole {
                if g.running { throw FleetError.conflict("cannot digest guest \(guest)'s layer with its delta: the guest runs") }
                s.deltasWithDigest += 1
                sourceDigest = LayerDigest(digest: FakeAgents.digest(g.layer), fileCount: g.layer.count, totalBytes: UInt64(g.layer.count))
            }
            if g.running {
                s.writes += 1
                g.layer["var/log"] = "\(s.writes)"
                s.hosts[src]?.guests[guest] = g
                s.latestLayer = g.layer
            }
            return (UInt64(g.layer.count), sourceDigest, offers)
        }
        progress(bytes)
        if base == .whole { exportedWhole.withLock { $0 = true } }
        return LayerCopyStats(bytes: bytes, hashed: true, sourceDigest: sourceDigest, sourceDigestsDeltas: offers)
    }

    func close() {}
}
