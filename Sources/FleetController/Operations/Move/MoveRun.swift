import FleetProtocol
import Foundation

/// One run of the move engine over a move's steps: the hosts, and what the
/// steps hand on to each other (the layer copy's channels, the time of the
/// stop, the source's digest the delta brought or made beside it). The actions
/// here talk to agents through the transport only.
final class MoveRun {
    let id: Int64
    var params: MoveParams
    let guest: StoredGuest
    /// Read when the template step runs (a resumed move may not need it).
    let template: @Sendable () throws(FleetError) -> StoredTemplate
    /// Which hosts hold the template, read when the template step runs:
    /// those that may send it if the destination lacks it.
    let templateHolders: @Sendable () throws(FleetError) -> TemplateDelivery.Holders
    let source: StoredHost
    let destination: StoredHost
    let transport: any AgentTransport
    let journal: any MoveJournal
    let callTimeout: Double
    let progress: @Sendable (MoveProgress) -> Void
    let began = Date()
    var result: MoveResult
    /// The current step, for progress lines.
    var step: MoveStep = .template
    /// `ops resume --prefer destination`: a source that changed since the
    /// stop is stopped and its changes thrown away (said in result.notes)
    /// instead of the move rolling back.
    var preferDestination = false

    private var copy: (any LayerCopy)?
    /// The pre-copy went over `copy`: the source's agent remembers what it sent.
    private var precopied = false
    /// The pre-copy's source agent gives a delta's digest when asked.
    private var sourceDigestsDeltas = false
    private var stoppedAt: Date?
    /// The stopped source's digest, made by its agent from the delta's own
    /// scan after the delta's last byte (one walk of the stopped layer, not
    /// a second one beside it).
    private var deltaDigest: LayerDigest?
    /// The same, asked for beside the delta: from an older agent, or on a
    /// resumed move's new channels, whose agent has not said it can.
    private var sourceDigest: BackgroundResult<LayerDigest>?
    /// This run digested the source after stopping it (verify): the later
    /// steps' checks then need only its status, not another tree walk
    /// during the downtime.
    private var digestedSourceHere = false
    /// The stopped source's digest for cleanup's check, taken while the
    /// destination starts the guest (another host, so the two overlap).
    private var cleanupDigest: BackgroundResult<LayerDigest>?

    /// Layers from this size on are hashed during the pre-copy.
    static let prehashThreshold: UInt64 = 32 << 20

    init(id: Int64, params: MoveParams, guest: StoredGuest, template: @escaping @Sendable () throws(FleetError) -> StoredTemplate,
         templateHolders: @escaping @Sendable () throws(FleetError) -> TemplateDelivery.Holders = { TemplateDelivery.Holders(hosts: [], placed: []) }, source: StoredHost, destination: StoredHost,
         transport: any AgentTransport, journal: any MoveJournal, callTimeout: Double, progress: @escaping @Sendable (MoveProgress) -> Void) {
        self.id = id
        self.params = params
        self.guest = guest
        self.template = template
        self.templateHolders = templateHolders
        self.source = source
        self.destination = destination
        self.transport = transport
        self.journal = journal
        self.callTimeout = callTimeout
        self.progress = progress
        result = MoveResult(operation: id, guest: params.guest, source: params.source, destination: params.destination,
                            precopyBytes: 0, deltaBytes: 0, templateSent: false, downtimeSeconds: nil, seconds: 0, keptSource: params.keepSource)
    }

    /// Closes the copy's channels and waits for work left in the background.
    func finish() {
        copy?.close()
        copy = nil
        _ = sourceDigest?.wait()
        _ = cleanupDigest?.wait()
    }

    // MARK: the steps' actions (their order and recovery: MoveStep)

    /// The destination gets the template from the source (which runs a
    /// guest of it) or another host that has it, directly; from this
    /// controller with the relay or when `auto` cannot reach any of them.
    func sendTemplate() throws(FleetError) {
        let template = try template()
        let mode = params.transport.flatMap(LayerTransportMode.init(rawValue:)) ?? .relay
        let senders = TemplateDelivery.senders(of: template, to: destination.name, preferred: source, holders: try templateHolders())
        let outcome = try TemplateDelivery.ensure(template, on: destination, via: transport, mode: mode, senders: senders)
        result.templateSent = outcome.sent
        if outcome.sent {
            let row = try journal.beginTransfer(id, MoveStep.template.rawValue)
            try journal.noteTransfer(row, bytes: outcome.bytes, totalBytes: nil,
                                     transport: StoredTransfer.transportKind(outcome.transport ?? "relay"), ended: true)
            result.templateBytes = outcome.bytes
        }
        if let how = outcome.transport {
            // `ops show` and the move's line say where the template came from.
            result.transports = (result.transports ?? []) + ["template: \(how)"]
            try journal.noteStep(id, MoveStep.template.rawValue, state: "transport", detail: how)
        }
    }

    func precopy() throws(FleetError) {
        _ = try transport.call(RPC.GuestDiscardStaging(name: guest.name), on: destination)
        // --disk: the layer arrives on a disk of its size (refused there if it does not fit).
        if let bytes = guest.spec.limits.diskBytes { _ = try transport.call(RPC.GuestStage(name: guest.name, diskBytes: bytes), on: destination) }
        let copied = try copyLayer(base: .whole)
        result.precopyBytes = copied.bytes
        precopied = true
        sourceDigestsDeltas = copied.sourceDigestsDeltas
        // Both sides hash their copy into their digest caches while the
        // guest still runs: the verification after the stop then reads only
        // what changed. Agents hash as the copy streams; older ones are
        // asked to afterwards (best effort; only for layers whose hashing
        // would lengthen the downtime: a few MB hash in milliseconds).
        if !copied.hashed && result.precopyBytes >= Self.prehashThreshold {
            let (transport, name, timeout) = (transport, guest.name, callTimeout + 600)
            _ = parallelMap([(source, false), (destination, true)], maxParallel: 2) { pair -> Bool in
                (try? transport.call(RPC.GuestPrehash(name: name, staging: pair.1), on: pair.0, timeout: timeout)) != nil
            }
        }
    }

    func stopSource() throws(FleetError) {
        stoppedAt = Date()
        var st = try transport.call(RPC.GuestStatus(name: guest.name), on: source)
        if st.state == .running {
            st = try transport.call(RPC.GuestStop(name: guest.name, timeoutSeconds: 10), on: source, timeout: 10 + callTimeout).guest ?? st
            if st.generation == nil || st.state == .running { st = try transport.call(RPC.GuestStatus(name: guest.name), on: source) }
        }
        // The source's identity at the stop: the copy verified later is of
        // this state, and only of this one.
        params.sourceGeneration = st.generation
        params.digest = nil
        params.sourceChangesDiscarded = nil
        try journal.updateParams(id, params)
    }

    func sendDelta() throws(FleetError) {
        // The source is stopped: the delta's scan of it also gives its
        // digest, from an agent that said it can; else the digest is made
        // beside the delta, as a second walk.
        let withDigest = precopied && sourceDigestsDeltas
        if !withDigest {
            let (transport, name, source, timeout) = (transport, guest.name, source, callTimeout + 600)
            sourceDigest = BackgroundResult { () throws(FleetError) -> LayerDigest in
                try transport.call(RPC.GuestDigest(name: name, staging: false), on: source, timeout: timeout)
            }
        }
        let copied: LayerCopyStats
        if precopied {
            // Same channels as the pre-copy: the source knows what it sent.
            copied = try copyLayer(base: .lastExport, digest: withDigest)
        } else {
            let manifest = try transport.call(RPC.GuestManifest(name: guest.name, staging: true), on: destination)
            copied = try copyLayer(base: .manifest(manifest.encoded))
        }
        result.deltaBytes = copied.bytes
        deltaDigest = copied.sourceDigest
    }

    /// Takes the stopped source's digest (the delta's, the one made beside
    /// it, or one asked for now) into the journal. The staged copy is
    /// compared with it once, by the destination at adopt (Agent.adopt
    /// digests the staged tree and refuses another digest): a second digest
    /// of the staged tree here, as before, walked it twice while the guest
    /// was down and found nothing adopt's would not.
    func verify() throws(FleetError) {
        let here: LayerDigest
        if let deltaDigest {
            here = deltaDigest
        } else if let early = sourceDigest {
            here = try early.wait().get()
        } else {
            here = try transport.call(RPC.GuestDigest(name: guest.name, staging: false), on: source, timeout: callTimeout + 600)
        }
        digestedSourceHere = true
        params.digest = here.digest
        try journal.noteStep(id, MoveStep.verify.rawValue, state: "params", detail: try params.json())
        try journal.updateParams(id, params)
    }

    func adopt() throws(FleetError) {
        guard let digest = params.digest else {
            throw FleetError.failed("guest \(guest.name)'s move has no verified digest of the source in its journal; not adopting an unverified copy")
        }
        try requireSourceUnchanged(before: "adopting", digest: !digestedSourceHere)
        // The destination digests the staged tree again and adopts it only
        // if it is still the source's layer as verified (Agent.adopt).
        _ = try transport.call(RPC.GuestAdopt(spec: guest.spec, digest: digest), on: destination, timeout: callTimeout + 600)
    }

    func startDestination() throws(FleetError) {
        // Invariant 1: never on two hosts at once; and never the copy of a
        // source that ran or changed since.
        try requireSourceUnchanged(before: "starting", digest: !digestedSourceHere)
        // Cleanup's check of the source (has its layer changed since the
        // stop?) walks the source's tree; it runs on the source while the
        // destination starts. Its status (running, start count) is still
        // read right before the source copy is destroyed.
        if !params.keepSource && params.digest != nil {
            let (transport, name, source, timeout) = (transport, guest.name, source, callTimeout + 600)
            cleanupDigest = BackgroundResult { () throws(FleetError) -> LayerDigest in
                try transport.call(RPC.GuestDigest(name: name, staging: false), on: source, timeout: timeout)
            }
        }
        if params.wasRunning {
            let dst = try transport.call(RPC.GuestStatus(name: guest.name), on: destination)
            if dst.state != .running {
                _ = try transport.call(RPC.GuestStart(name: guest.name), on: destination)
            }
        }
        if let stoppedAt { result.downtimeSeconds = Date().timeIntervalSince(stoppedAt) }
    }

    func switchPlacement() throws(FleetError) {
        try journal.switchPlacement(id, of: guest.name, to: destination.name, origin: params.origin)
    }

    func cleanupSource() throws(FleetError) {
        guard !params.keepSource else { return }
        // The guest is live at the destination. A source that ran since the
        // stop (by hand, at the agent) holds writes the live copy lacks:
        // it is kept for the operator rather than destroyed unseen.
        let change: String?
        do { change = try sourceChange(digest: true) } catch where error.code == .notFound {
            return  // destroyed already (an earlier cleanup whose answer was lost)
        }
        if let change {
            let note = "kept guest \(guest.name) at \(source.name): \(change); its copy at \(destination.name) is the live one (compare the two, then destroy the old one with `vfleet-agent destroy \(guest.name)` on \(source.name))"
            result.keptSource = true
            result.notes = (result.notes ?? []) + [note]
            try journal.noteStep(id, step.rawValue, state: "kept", detail: note)
            return
        }
        do {
            _ = try transport.call(RPC.GuestDestroy(name: guest.name, force: false), on: source)
        } catch where error.code == .notFound {}
    }

    // MARK: the source's identity since the stop

    /// How the source differs from what the move stopped, or nil: running,
    /// started since (its generation), or (with `digest`) its layer changed
    /// without a start, e.g. edited on the host.
    func sourceChange(digest: Bool) throws(FleetError) -> String? {
        let st = try transport.call(RPC.GuestStatus(name: guest.name), on: source)
        if st.state == .running { return "guest \(guest.name) runs at \(source.name) again since the move stopped it" }
        if params.sourceChangesDiscarded == true { return nil }
        if let was = params.sourceGeneration, let now = st.generation, now != was {
            return "guest \(guest.name) was started at \(source.name) since the move stopped it (start count \(was) then, \(now) now)"
        }
        if digest, let was = params.digest {
            let now: String
            if let early = cleanupDigest, step == .cleanupSource {
                now = try early.wait().get().digest
            } else {
                now = try transport.call(RPC.GuestDigest(name: guest.name, staging: false), on: source, timeout: callTimeout + 600).digest
            }
            if now != was {
                return "guest \(guest.name)'s layer at \(source.name) changed since the move stopped it (digest \(was.prefix(12)) then, \(now.prefix(12)) now)"
            }
        }
        return nil
    }

    /// Refuses to go on with the copy made at the stop when the source ran
    /// or changed since: the move rolls back and the source's newer state
    /// stays. With `preferDestination` (asked for by the operator) the
    /// source is stopped and its changes are thrown away, which is said.
    func requireSourceUnchanged(before action: String, digest: Bool) throws(FleetError) {
        guard let change = try sourceChange(digest: digest) else { return }
        guard preferDestination else {
            throw FleetError.conflict("source changed: \(change); not \(action) the older copy at \(destination.name) (`vfleet ops resume --prefer destination` would throw the source's changes away)")
        }
        let st = try transport.call(RPC.GuestStatus(name: guest.name), on: source)
        if st.state == .running {
            _ = try transport.call(RPC.GuestStop(name: guest.name, timeoutSeconds: 10), on: source, timeout: 10 + callTimeout)
        }
        let note = "threw away guest \(guest.name)'s changes at \(source.name) since the move stopped it (\(change)): --prefer destination"
        result.notes = (result.notes ?? []) + [note]
        params.sourceChangesDiscarded = true
        try journal.noteStep(id, step.rawValue, state: "discarded", detail: note)
        try journal.updateParams(id, params)
    }

    /// Streams the guest's layer (or its delta) from source to destination
    /// through this controller, over channels opened once per move.
    private func copyLayer(base: LayerBase, digest: Bool = false) throws(FleetError) -> LayerCopyStats {
        // The progress total, for a whole copy only: a delta runs while the
        // guest is down, and its size is not known before it is sent. Asked
        // for while the channels open and the copy runs (a walk of the layer
        // at the source, 50-60 ms for 5,000 files, that the copy waited for);
        // progress lines say it once it is in.
        let (name, source, transport) = (guest.name, source, transport)
        let total: BackgroundResult<UInt64?>? = Self.wantsProgressTotal(base)
            ? BackgroundResult { (try? transport.call(RPC.GuestManifest(name: name, staging: false, summary: true), on: source))?.totalBytes }
            : nil
        let pair: any LayerCopy
        if let copy { pair = copy } else {
            let mode = params.transport.flatMap(LayerTransportMode.init(rawValue:)) ?? .relay
            pair = try transport.openLayerCopy(from: source, to: destination, mode: mode)
            copy = pair
        }
        let started = Date()
        let (step, progress, journal) = (step.rawValue, progress, journal)
        // The step's bytes in the store as they go (`ops show` of a running
        // move), at most once a second, and final at the end.
        let row = try journal.beginTransfer(id, step)
        var sent: UInt64 = 0
        var noted = started
        let copied: LayerCopyStats
        do {
            copied = try pair.copy(name, base: base, digest: digest) { n in
                // Zero bytes is how the engine says a step is done: a copy with
                // nothing to report yet (an empty delta) must not print the
                // step twice.
                guard n > 0 else { return }
                sent = n
                let totalBytes: UInt64? = if case .success(let t)? = total?.ended { t } else { nil }
                progress(MoveProgress(guest: name, step: step, bytes: n, totalBytes: totalBytes, seconds: Date().timeIntervalSince(started)))
                if Date().timeIntervalSince(noted) >= 1 {
                    noted = Date()
                    try? journal.noteTransfer(row, bytes: n, totalBytes: totalBytes, transport: nil, ended: false)
                }
            }
        } catch {
            // What crossed before the failure still crossed (the metric
            // counts it); `auto` does not say which way it was going.
            let mode = params.transport.flatMap(LayerTransportMode.init(rawValue:)) ?? .relay
            try? journal.noteTransfer(row, bytes: sent, totalBytes: nil, transport: mode == .auto ? nil : mode.rawValue, ended: true)
            throw error
        }
        let totalBytes: UInt64? = if case .success(let t)? = total?.ended { t } else { nil }
        try journal.noteTransfer(row, bytes: copied.bytes, totalBytes: totalBytes, transport: StoredTransfer.transportKind(copied.transport), ended: true)
        // `ops show` says which transport each copy step took.
        result.transports = (result.transports ?? []) + ["\(step): \(copied.transport)"]
        try journal.noteStep(id, step, state: "transport", detail: copied.transport)
        return copied
    }

    /// Whether a copy asks the source for its size first (a tree walk
    /// there): only a whole copy, never a delta.
    static func wantsProgressTotal(_ base: LayerBase) -> Bool { base == .whole }
}
