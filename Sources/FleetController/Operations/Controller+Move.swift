import FleetProtocol
import FleetScheduler
import FleetSSH
import Foundation
import Glibc

/// Cold migration (DESIGN.md, migration invariants): pre-copy the guest's
/// own layer while it runs, stop it, send what changed, verify by digest at
/// the destination, adopt and start it there, and only then switch the
/// placement and remove the source copy. Every step is journaled before it
/// is taken; `ops resume` finishes or rolls back whatever step it died in.
extension Controller {
    /// Layers from this size on are hashed during the pre-copy.
    static let prehashThreshold: UInt64 = 32 << 20

    static let moveSteps = ["template", "precopy", "stop-source", "delta", "verify", "adopt", "start-destination", "placement", "cleanup-source"]

    /// `vfleet guest move NAME [--to H] [--keep-source]`.
    public func moveGuest(_ name: String, to destination: String?, keepSource: Bool = false,
                          origin: String? = nil, progress: @escaping @Sendable (MoveProgress) -> Void = { _ in }) throws(FleetError) -> MoveResult {
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
        let status = try connections.call(source, RPCMethod.guestStatus, NameParams(name: name), as: GuestStatus.self)
        let params = MoveParams(guest: name, source: source.name, destination: target, keepSource: keepSource,
                                wasRunning: status.state == .running, digest: nil, origin: origin)
        let op = try store.beginOperation(kind: "move", guest: name, host: source.name, params: try encodeParams(params), firstStep: "begin")
        return try drive(op, params, from: "template", progress: progress)
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

    func encodeParams(_ p: MoveParams) throws(FleetError) -> String {
        guard let data = try? JSONEncoder().encode(p) else { throw .failed("cannot encode move parameters") }
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs the move from `step`; on a failure before the placement switch
    /// it rolls back, so the guest ends on exactly one host.
    func drive(_ op: StoredOperation, _ start: MoveParams, from step: String,
               progress: @escaping @Sendable (MoveProgress) -> Void) throws(FleetError) -> MoveResult {
        var params = start
        let id = op.id!
        var result = MoveResult(operation: id, guest: params.guest, source: params.source, destination: params.destination,
                                precopyBytes: 0, deltaBytes: 0, templateSent: false, downtimeSeconds: nil, seconds: 0, keptSource: params.keepSource)
        let began = Date()
        var stoppedAt: Date?
        let steps = Self.moveSteps
        guard let first = steps.firstIndex(of: step) else { throw .failed("unknown move step \(step)") }
        var current = step
        let channels = MoveChannels()
        defer { channels.close() }
        var sourceDigest: BackgroundResult<LayerDigest>?
        defer { _ = sourceDigest?.wait() }
        do throws(FleetError) {
            let guest = try store.guest(params.guest)
            let source = try store.host(params.source)
            let destination = try store.host(params.destination)
            for s in steps[first...] {
                current = s
                try journal(id, s)
                switch s {
                case "template":
                    result.templateSent = try ensureTemplate(try store.template(guest.template), on: destination)
                case "precopy":
                    _ = try connections.call(destination, RPCMethod.guestDiscardStaging, NameParams(name: guest.name), as: JSONValue.self)
                    let copy = try copyLayer(guest.name, from: source, to: destination, since: nil, step: s, channels: channels, progress: progress)
                    result.precopyBytes = copy.bytes
                    channels.precopied = true
                    // Both sides hash their copy into their digest caches
                    // while the guest still runs: the verification after the
                    // stop then reads only what changed. Agents hash as the
                    // copy streams; older ones are asked to afterwards (best
                    // effort; only for layers whose hashing would lengthen
                    // the downtime: a few MB hash in milliseconds).
                    if !copy.hashed && result.precopyBytes >= Self.prehashThreshold {
                        _ = parallelMap([(source, false), (destination, true)], maxParallel: 2) { [self] pair -> Bool in
                            (try? connections.call(pair.0, RPCMethod.guestPrehash, GuestLayerParams(name: guest.name, staging: pair.1),
                                                   as: LayerPrehash.self, timeout: settings.callTimeout + 600)) != nil
                        }
                    }
                case "stop-source":
                    stoppedAt = Date()
                    let st = try connections.call(source, RPCMethod.guestStatus, NameParams(name: guest.name), as: GuestStatus.self)
                    if st.state == .running {
                        _ = try connections.call(source, RPCMethod.guestStop, GuestStopParams(name: guest.name, timeoutSeconds: 10),
                                                 as: GuestOperationResult.self, timeout: 10 + settings.callTimeout)
                    }
                case "delta":
                    // The source is stopped: its digest can be made while the delta travels.
                    sourceDigest = BackgroundResult { [self] () throws(FleetError) -> LayerDigest in
                        try connections.call(source, RPCMethod.guestDigest, GuestLayerParams(name: guest.name, staging: false),
                                             as: LayerDigest.self, timeout: settings.callTimeout + 600)
                    }
                    if channels.precopied {
                        // Same channels as the pre-copy: the source knows what it sent.
                        result.deltaBytes = try copyLayer(guest.name, from: source, to: destination, since: nil, sinceExported: true,
                                                          step: s, channels: channels, progress: progress).bytes
                    } else {
                        let manifest = try connections.call(destination, RPCMethod.guestManifest, GuestLayerParams(name: guest.name, staging: true), as: LayerManifest.self)
                        result.deltaBytes = try copyLayer(guest.name, from: source, to: destination, since: manifest.encoded, step: s, channels: channels, progress: progress).bytes
                    }
                case "verify":
                    let early = sourceDigest
                    let digests = parallelMap([(source, false), (destination, true)], maxParallel: 2) { [self] pair -> Result<LayerDigest, FleetError> in
                        if !pair.1, let early { return early.wait() }
                        do throws(FleetError) {
                            return .success(try connections.call(pair.0, RPCMethod.guestDigest, GuestLayerParams(name: guest.name, staging: pair.1),
                                                                 as: LayerDigest.self, timeout: settings.callTimeout + 600))
                        } catch { return .failure(error) }
                    }
                    let here = try digests[0].get()
                    let there = try digests[1].get()
                    guard here.digest == there.digest else {
                        throw FleetError.failed("verification failed: guest \(guest.name)'s layer has digest \(here.digest.prefix(12)) at \(source.name) but \(there.digest.prefix(12)) at \(destination.name) (\(here.fileCount) vs \(there.fileCount) entries)")
                    }
                    params.digest = here.digest
                    try store.noteStep(id, s, state: "params", detail: try encodeParams(params))
                    try updateParams(id, params)
                case "adopt":
                    var digest = params.digest ?? ""
                    if digest.isEmpty {
                        digest = try connections.call(source, RPCMethod.guestDigest, GuestLayerParams(name: guest.name, staging: false), as: LayerDigest.self).digest
                    }
                    _ = try connections.call(destination, RPCMethod.guestAdopt, GuestAdoptParams(spec: guest.spec, digest: digest), as: GuestOperationResult.self,
                                             timeout: settings.callTimeout + 600)
                case "start-destination":
                    // Invariant 1: never on two hosts at once.
                    let st = try connections.call(source, RPCMethod.guestStatus, NameParams(name: guest.name), as: GuestStatus.self)
                    if st.state == .running {
                        throw FleetError.conflict("guest \(guest.name) runs at \(source.name) again; not starting it at \(destination.name)")
                    }
                    if params.wasRunning {
                        let dst = try connections.call(destination, RPCMethod.guestStatus, NameParams(name: guest.name), as: GuestStatus.self)
                        if dst.state != .running {
                            _ = try connections.call(destination, RPCMethod.guestStart, NameParams(name: guest.name), as: GuestOperationResult.self)
                        }
                    }
                    if let stoppedAt { result.downtimeSeconds = Date().timeIntervalSince(stoppedAt) }
                case "placement":
                    try store.movePlacement(of: guest.name, to: destination.name)
                    if let origin = params.origin { try store.setOrigin(guest.name, origin) }
                case "cleanup-source":
                    if !params.keepSource {
                        do {
                            _ = try connections.call(source, RPCMethod.guestDestroy, GuestDestroyParams(name: guest.name, force: false), as: GuestOperationResult.self)
                        } catch where error.code == .notFound {}
                    }
                default: break
                }
                try store.noteStep(id, s, state: "done", detail: nil)
                progress(MoveProgress(guest: guest.name, step: s, bytes: 0, totalBytes: nil, seconds: Date().timeIntervalSince(began)))
            }
        } catch {
            let placed = steps.firstIndex(of: current).map { $0 >= steps.firstIndex(of: "placement")! } ?? false
            if placed {
                // The guest runs at the destination and is placed there: only cleanup is left.
                try? store.noteStep(id, current, state: "failed", detail: error.message)
                throw FleetError(error.code, "move of guest \(params.guest) to \(params.destination) is done but \(current) failed: \(error.message) (finish with `vfleet ops resume \(id)`)")
            }
            try? store.noteStep(id, current, state: "failed", detail: error.message)
            do {
                try rollback(id, params)
            } catch let rollbackError {
                throw FleetError(error.code, "move of guest \(params.guest) failed at \(current): \(error.message); rolling back failed too: \(rollbackError.message) (the operation stays in flight: `vfleet ops resume \(id)`)")
            }
            throw FleetError(error.code, "move of guest \(params.guest) to \(params.destination) failed at \(current): \(error.message); rolled back: the guest is at \(params.source)\(params.wasRunning ? " and runs" : "")")
        }
        try store.finishOperation(id, state: .done)
        result.seconds = Date().timeIntervalSince(began)
        return result
    }

    func journal(_ id: Int64, _ step: String) throws(FleetError) {
        try store.beginStep(id, step)
        // Test hook: the journal row is written, the step not yet taken; die
        // here like a killed controller would.
        if let crash = ProcessInfo.processInfo.environment["VFLEET_TEST_CRASH_AT_STEP"], crash == step {
            _exit(99)
        }
    }

    func updateParams(_ id: Int64, _ p: MoveParams) throws(FleetError) {
        try store.updateOperationParams(id, try encodeParams(p))
    }

    /// Streams the guest's layer (or its delta) from source to destination
    /// through this controller; returns the bytes relayed, and whether both
    /// ends hashed what they carried into their digest caches.
    func copyLayer(_ name: String, from source: StoredHost, to destination: StoredHost, since: String?, sinceExported: Bool = false, step: String,
                   channels: MoveChannels, progress: @escaping @Sendable (MoveProgress) -> Void) throws(FleetError) -> (bytes: UInt64, hashed: Bool) {
        // Opened once per move and reused: after the stop, the delta must
        // not pay for new SSH channels and agent processes.
        let (out, into) = try channels.get(source: source, destination: destination, connections: connections)
        let started = Date()
        // The progress total, for a whole copy only: a delta runs while the
        // guest is down, and its size is not known before it is sent.
        let total: UInt64? = Self.wantsProgressTotal(since: since, sinceExported: sinceExported)
            ? (try? connections.call(source, RPCMethod.guestManifest, GuestLayerParams(name: name, staging: false, summary: true),
                                     as: LayerManifest.self))?.totalBytes
            : nil
        try send(RPCRequest(id: .number(2), method: RPCMethod.guestImport, params: try JSONValue.encoding(GuestImportParams(name: name))), on: into, host: destination.name)
        try send(RPCRequest(id: .number(2), method: RPCMethod.guestExport, params: try JSONValue.encoding(GuestExportParams(name: name, since: since, sinceExported: sinceExported ? true : nil))), on: out, host: source.name)
        let bytes = try LayerRelay.relay(from: out, to: into, sourceHost: source.name, destinationHost: destination.name,
                                         timeout: settings.callTimeout) { n in
            progress(MoveProgress(guest: name, step: step, bytes: n, totalBytes: total, seconds: Date().timeIntervalSince(started)))
        }
        let exported = try response(on: out, host: source.name, method: RPCMethod.guestExport)
        let imported = try response(on: into, host: destination.name, method: RPCMethod.guestImport)
        let sent = try AgentClient.decode(exported, as: LayerStreamStats.self, host: source.name, method: RPCMethod.guestExport)
        let received = try AgentClient.decode(imported, as: LayerStreamStats.self, host: destination.name, method: RPCMethod.guestImport)
        return (bytes, sent.cachedDigests != nil && received.cachedDigests != nil)
    }

    /// Whether a copy asks the source for its size first (a tree walk there):
    /// only a whole copy, never a delta (`since`, or `sinceExported`).
    static func wantsProgressTotal(since: String?, sinceExported: Bool) -> Bool {
        since == nil && !sinceExported
    }

    private func send(_ request: RPCRequest, on channel: SSHChannel, host: String) throws(FleetError) {
        guard let line = try? RPCCoding.encoder.encode(request) else { throw .failed("cannot encode \(request.method)") }
        do { try channel.write(line + Data([10])) } catch { throw FleetError(.unreachable, "host \(host): \(request.method): \(error.message)") }
    }

    private func response(on channel: SSHChannel, host: String, method: String) throws(FleetError) -> RPCResponse {
        do {
            guard let line = try channel.readLine(timeout: settings.callTimeout + 600),
                  let r = try? RPCCoding.decoder.decode(RPCResponse.self, from: Data(line.utf8)) else {
                throw FleetError(.unreachable, "host \(host): no answer to \(method)")
            }
            return r
        } catch let e as FleetError {
            throw e
        } catch let e as SSHError {
            throw FleetError(.unreachable, "host \(host): \(method): \(e.message)")
        } catch {
            throw FleetError(.unreachable, "host \(host): \(method): \(error)")
        }
    }

    /// Undoes a move that did not reach the placement switch: the
    /// destination's copy (staged or adopted) goes, the source runs again if
    /// it ran. The source copy was never touched, so nothing is lost.
    func rollback(_ id: Int64, _ params: MoveParams) throws(FleetError) {
        try store.beginStep(id, "rollback")
        let source = try store.host(params.source)
        let destination = try store.host(params.destination)
        if let dst = try? connections.call(destination, RPCMethod.guestStatus, NameParams(name: params.guest), as: GuestStatus.self) {
            // Adopted there: it must stop before the source may start. The
            // source copy is intact (cleanup-source comes after placement).
            _ = dst
            _ = try connections.call(destination, RPCMethod.guestDestroy, GuestDestroyParams(name: params.guest, force: true), as: GuestOperationResult.self)
        }
        _ = try connections.call(destination, RPCMethod.guestDiscardStaging, NameParams(name: params.guest), as: JSONValue.self)
        if params.wasRunning {
            let st = try connections.call(source, RPCMethod.guestStatus, NameParams(name: params.guest), as: GuestStatus.self)
            if st.state != .running {
                _ = try connections.call(source, RPCMethod.guestStart, NameParams(name: params.guest), as: GuestOperationResult.self)
            }
        }
        try store.finishOperation(id, state: .rolledBack, error: nil)
    }
}

/// The two bulk channels of one move (source export, destination import).
final class MoveChannels: @unchecked Sendable {
    private var pair: (SSHChannel, SSHChannel)?
    /// The pre-copy went over these channels: the source's agent process
    /// remembers what it sent.
    var precopied = false

    /// Both channels, opened at once (each may need a new SSH session: the
    /// two handshakes overlap).
    func get(source: StoredHost, destination: StoredHost, connections: AgentConnections) throws(FleetError) -> (SSHChannel, SSHChannel) {
        if let pair { return pair }
        let opened = parallelMap([source, destination], maxParallel: 2) { host -> Result<SSHChannel, FleetError> in
            do throws(FleetError) { return .success(try connections.client(for: host).openBulkChannel()) } catch { return .failure(error) }
        }
        switch (opened[0], opened[1]) {
        case (.success(let out), .success(let into)):
            pair = (out, into)
            return (out, into)
        case (.failure(let e), let other), (let other, .failure(let e)):
            if case .success(let ch) = other { ch.close() }
            throw e
        }
    }

    /// After a failed copy the channels may be out of step: drop them.
    func reset() {
        pair?.0.close()
        pair?.1.close()
        pair = nil
        precopied = false
    }

    func close() { reset() }
}

