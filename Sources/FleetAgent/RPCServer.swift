import FleetKernel
import FleetProtocol
import FleetTree
import FleetTreeStream
import Foundation

/// `vfleet-agent rpc`: one JSON request per line on stdin, one JSON response
/// per line on stdout (docs/PROTOCOL.md). A bad request gets an error
/// response and the loop keeps serving; `hello` must come first.
public final class RPCServer {
    let agent: Agent
    private(set) var greeted = false
    /// Per guest, the layer's manifest as it was just before this channel's
    /// last full export: what the receiver got (or older). A change made
    /// while the export ran shows as a difference, so the delta sends it.
    var exported: [String: [TreeManifestEntry]] = [:]
    /// Per guest, the xattr digests of this channel's last export of its
    /// layer, with each entry's inode and ctime: the next export (a move's
    /// delta, while the guest is stopped) reads attributes only of entries
    /// changed since (``XattrReuse``).
    var exportedXattrs: [String: XattrReuse] = [:]
    /// Per guest, its layer's digest cache as this channel's last export
    /// saved it: a delta with the digest (a move's, while the guest is
    /// down) need not read the cache file again.
    var exportedDigests: [String: DigestCache] = [:]
    /// Per guest, the parts of a receiver's manifest received so far.
    var receiverParts: [String: [UInt8]] = [:]
    /// This channel's direct transfers: keys made, listeners open.
    var transfers = TransferTable()
    private let reaper = ChildReaper()

    public init(agent: Agent) {
        self.agent = agent
    }

    /// Serves until stdin ends.
    public func serve() {
        reaper.startBackground()
        let input = InputReader(fd: 0, maxLineBytes: agent.config.maxRequestLineBytes)
        while let next = input.readLine() {
            guard case .line(let line) = next else {
                if case .tooLong(let bytes) = next { FileHandle.standardOutput.write(Data((Self.tooLongResponse(bytes: bytes, cap: input.maxLineBytes) + "\n").utf8)) }
                continue
            }
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            if case .success(let request) = RPCRequest.parse(line), let bulk = Self.bulkHandlers[request.method] {
                let (text, keepServing) = bulk(self, request, input)
                FileHandle.standardOutput.write(Data((text + "\n").utf8))
                if !keepServing { break }
                continue
            }
            FileHandle.standardOutput.write(Data((handle(line: line) + "\n").utf8))
        }
    }

    /// The answer to a request line longer than the cap: it was dropped
    /// unread, so its id is unknown (omitted, as for unparsable lines).
    static func tooLongResponse(bytes: Int, cap: Int) -> String {
        RPCResponse(id: nil, error: .invalid("request line of \(bytes) bytes refused: the agent reads at most \(cap) bytes per line (docs/PROTOCOL.md); send bulk data as a bulk stream, or raise maxRequestLineBytes in agent.json")).line()
    }

    /// guest.export: the chunked layer stream goes to stdout right after the
    /// request; the response line follows its end chunk. A failure after the
    /// stream began still ends the stream (the receiver then fails on an
    /// incomplete tree) and is reported in the response.
    func exportGuest(_ r: RPCRequest) -> (String, Bool) {
        var sink = ChunkedWriter(FDSink(fd: 1))
        var finishFailed = false
        do throws(FleetError) {
            guard greeted else { throw FleetError(.protocolError, "guest.export: send hello first") }
            let p = try GuestExportParams.decode(r.params, method: r.method)
            var since: [TreeManifestEntry]?
            if let s = p.since {
                do { since = try JSONDecoder().decode([TreeManifestEntry].self, from: Data(s.utf8)) } catch {
                    throw .invalid("guest.export: \"since\" is not a layer manifest: \(error)")
                }
            } else if p.sinceExported == true {
                guard let earlier = exported[p.name] else {
                    throw .invalid("guest.export: no full export of guest \(p.name) on this channel to compare with (send \"since\")")
                }
                since = earlier
            }
            let sent = try agent.exportLayer(p.name, since: since, to: &sink, reuse: exportedXattrs[p.name], digest: p.digest == true,
                                             digests: exportedDigests[p.name]) {
                sink throws(FleetError) in
                do { try sink.finish() } catch {
                    finishFailed = true
                    throw .failed("guest.export: cannot write the stream: \(error)")
                }
            }
            // The stream's own scan is what the destination holds now: no
            // second walk of the layer for the delta's base.
            if since == nil { exported[p.name] = sent.scanned }
            if let cache = sent.digestCache { exportedDigests[p.name] = cache }
            exportedXattrs[p.name] = sent.reusable
            return (try RPCResultLine(id: r.id, result: try encode(LayerStreamStats(exported: sent))).line(), true)
        } catch {
            // The stream's end could not be written: the channel is out of step.
            if finishFailed { return (RPCResponse(id: r.id, error: error).line(), false) }
            let failure = error
            do { try sink.finish() } catch { return (RPCResponse(id: r.id, error: failure).line(), false) }
            return (RPCResponse(id: r.id, error: failure).line(), true)
        }
    }

    /// guest.import: reads the chunked stream that follows the request into
    /// the guest's staging area. Whatever happens, the stream is read to its
    /// end chunk so the session stays in step.
    func importGuest(_ r: RPCRequest, input: InputReader) -> (String, Bool) {
        var source = ChunkedReader(InputByteSource(reader: input))
        func drain() -> Bool {
            var scratch = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = (try? scratch.withUnsafeMutableBytes { try source.read(into: $0) }) ?? -1
                if n == 0 { return true }
                if n < 0 { return false }
            }
        }
        do throws(FleetError) {
            guard greeted else { throw FleetError(.protocolError, "guest.import: send hello first") }
            let p = try GuestImportParams.decode(r.params, method: r.method)
            let received = try agent.importLayer(p.name, from: &source)
            guard drain() else { throw FleetError.failed("guest.import: the stream was cut off") }
            return (try RPCResultLine(id: r.id, result: try encode(LayerStreamStats(received))).line(), true)
        } catch {
            let inStep = drain()
            return (RPCResponse(id: r.id, error: error).line(), inStep)
        }
    }

    /// template.receive: the request line is followed by exactly `bytes`
    /// bytes of tar archive. They are read whatever the params say, so the
    /// stream stays in step; if `bytes` itself is unreadable the stream
    /// cannot be resynchronised and the session ends after the error.
    func receiveTemplate(_ r: RPCRequest, input: InputReader) -> (String, Bool) {
        guard case .object(let o)? = r.params, case .number(let n)? = o["bytes"], n >= 0, n == n.rounded() else {
            return (RPCResponse(id: r.id, error: .invalid("template.receive: \"bytes\" must give the archive's length; closing the session")).line(), false)
        }
        let bytes = UInt64(n)
        let incoming = agent.paths.templates + "/" + LeftoverSweeper.incomingPrefix + "\(UUID().uuidString.prefix(8)).tar"
        try? agent.paths.ensure()
        let fd = open(incoming, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        defer { unlink(incoming) }
        // Held while it is written and installed: a sweep of what killed
        // agents left leaves it alone (LeftoverSweeper).
        if fd >= 0 { flock(fd, LOCK_EX | LOCK_NB) }
        guard fd >= 0 else {
            // Drain into nothing to keep the stream in step.
            let devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)
            let ok = input.copy(bytes, to: devnull)
            close(devnull)
            return (RPCResponse(id: r.id, error: .failed("template.receive: cannot write \(incoming): \(String(cString: strerror(errno)))")).line(), ok)
        }
        // Open (and locked) until the template is installed.
        defer { close(fd) }
        let complete = input.copy(bytes, to: fd)
        let synced = fsync(fd) == 0
        guard complete else {
            return (RPCResponse(id: r.id, error: .failed("template.receive: the archive ended early or the disk is full; nothing was installed")).line(), false)
        }
        guard synced else {
            return (RPCResponse(id: r.id, error: .failed("template.receive: cannot store the archive (disk full?); nothing was installed")).line(), true)
        }
        guard greeted else {
            return (RPCResponse(id: r.id, error: FleetError(.protocolError, "template.receive: send hello first")).line(), true)
        }
        do {
            let p = try TemplateReceiveParams.decode(r.params, method: r.method)
            let info = try agent.receiveTemplate(name: p.name, archive: incoming, expectedDigest: p.digest)
            return (try RPCResultLine(id: r.id, result: try encode(info)).line(), true)
        } catch {
            return (RPCResponse(id: r.id, error: error).line(), true)
        }
    }

    /// Answers one request line.
    public func handle(line: String) -> String {
        switch RPCRequest.parse(line) {
        case .failure(let fault):
            return RPCResponse(id: fault.id, error: fault.error).line()
        case .success(let request):
            do throws(FleetError) {
                return try RPCResultLine(id: request.id, result: try dispatch(request)).line()
            } catch {
                return RPCResponse(id: request.id, error: error).line()
            }
        }
    }

    func dispatch(_ r: RPCRequest) throws(FleetError) -> EncodedResult {
        guard RPCMethod.all.contains(r.method) else {
            throw .notFound("unknown method \"\(r.method)\" (known: \(RPCMethod.all.joined(separator: ", ")))")
        }
        guard greeted || r.method == RPC.Hello.name else {
            throw FleetError(.protocolError, "\(r.method): send hello first (protocol version \(ProtocolVersion.current))")
        }
        // A bulk method needs its stream: only serve() can answer it.
        guard let handler = Self.lineHandlers[r.method] else { throw .notFound("unknown method \"\(r.method)\"") }
        return try handler(self, try admittingFence(r))
    }

    /// A request with a fence (RPC.Fenced) runs only if its token is not
    /// older than the highest this host has seen for its guest (FenceStore);
    /// the key is taken out so that the method's strict params decoding
    /// sees only its own fields.
    func admittingFence(_ r: RPCRequest) throws(FleetError) -> RPCRequest {
        guard case .object(var object)? = r.params, let value = object[Fence.paramKey] else { return r }
        let fence: Fence
        do { fence = try value.decode(Fence.self) } catch {
            throw .invalid("\(r.method): parameter \"fence\" must be {guest, token, operation}: \(error)")
        }
        try FenceStore(paths: agent.paths).admit(fence, method: r.method)
        object[Fence.paramKey] = nil
        var admitted = r
        admitted.params = .object(object)
        return admitted
    }

    typealias LineHandler = @Sendable (RPCServer, RPCRequest) throws(FleetError) -> EncodedResult
    typealias BulkHandler = @Sendable (RPCServer, RPCRequest, InputReader) -> (String, Bool)

    /// The dispatcher: one handler per method of the contract (RPC.methods)
    /// that is answered by one line. Its params arrive decoded strictly,
    /// its result leaves encoded as the method's Result type.
    static let lineHandlers: [String: LineHandler] = Dictionary(uniqueKeysWithValues: [
        handle(RPC.Hello.self) { s, p throws(FleetError) in
            guard p.protocolVersion == ProtocolVersion.current else {
                throw FleetError(.protocolError, "protocol version \(p.protocolVersion) is not supported (this agent speaks \(ProtocolVersion.current); upgrade the older side)")
            }
            s.greeted = true
            return p.facts == false ? s.agent.helloWithoutFacts() : s.agent.hello()
        },
        handle(RPC.Check.self) { s, _ in KernelChecker.run(layout: s.agent.layout) },
        handle(RPC.TemplateList.self) { s, _ in s.agent.templates.list() },
        handle(RPC.TemplateBuild.self) { s, p throws(FleetError) in try s.agent.buildTemplate(kind: p.kind, name: p.name) },
        handle(RPC.TemplateImport.self) { s, p throws(FleetError) in try s.agent.importTemplate(name: p.name, path: p.path) },
        handle(RPC.TemplateRemove.self) { s, p throws(FleetError) in
            try s.agent.removeTemplate(p.name)
            return EmptyResult()
        },
        handle(RPC.GuestCreate.self) { s, p throws(FleetError) in GuestOperationResult(guest: try s.agent.create(p.spec)) },
        handle(RPC.GuestStart.self) { s, p throws(FleetError) in
            let outcome = try s.agent.start(p.name)
            s.reaper.track(outcome.initPid)
            return GuestOperationResult(guest: outcome.status, warnings: outcome.warnings)
        },
        handle(RPC.GuestStop.self) { s, p throws(FleetError) in
            let status = try s.agent.stop(p.name, timeout: try s.timeout(p.timeoutSeconds))
            s.reaper.reapExited()
            return GuestOperationResult(guest: status)
        },
        handle(RPC.GuestRestart.self) { s, p throws(FleetError) in
            let outcome = try s.agent.restart(p.name, timeout: try s.timeout(p.timeoutSeconds))
            s.reaper.track(outcome.initPid)
            return GuestOperationResult(guest: outcome.status, warnings: outcome.warnings)
        },
        handle(RPC.GuestDestroy.self) { s, p throws(FleetError) in
            try s.agent.destroy(p.name, force: p.force ?? false)
            s.reaper.reapExited()
            return GuestOperationResult(guest: nil)
        },
        handle(RPC.GuestExec.self) { s, p throws(FleetError) in
            if let t = p.timeoutSeconds, !(t > 0 && t <= 86400) { throw .invalid("guest.exec: timeoutSeconds must be between 0 and 86400") }
            return try s.agent.execCaptured(p)
        },
        handle(RPC.GuestList.self) { s, _ in s.agent.list() },
        handle(RPC.GuestStatus.self) { s, p throws(FleetError) in try s.agent.status(p.name) },
        handle(RPC.GuestManifest.self) { s, p throws(FleetError) in
            // A summary (a move's progress total, asked while its pre-copy
            // starts on the same host) only counts: no manifest, no attributes.
            if p.summary == true {
                let size = try s.agent.layerSize(p.name, staging: p.staging)
                return LayerManifest(encoded: "", entries: size.entries, totalBytes: size.fileBytes)
            }
            let entries = try s.agent.layerManifest(p.name, staging: p.staging)
            let totalBytes = entries.reduce(0) { $0 + ($1.kind == .file ? $1.size : 0) }
            guard let data = try? JSONEncoder().encode(entries) else { throw FleetError.failed("guest.manifest: cannot encode") }
            return LayerManifest(encoded: String(decoding: data, as: UTF8.self), entries: entries.count, totalBytes: totalBytes)
        },
        handle(RPC.GuestReceiverManifest.self) { s, p throws(FleetError) in try s.receiveManifestPart(p) },
        handle(RPC.GuestPrehash.self) { s, p throws(FleetError) in try s.agent.prehashLayer(p.name, staging: p.staging) },
        handle(RPC.GuestDigest.self) { s, p throws(FleetError) in
            let d = try s.agent.layerDigest(p.name, staging: p.staging)
            return LayerDigest(digest: d.digest, fileCount: d.fileCount, totalBytes: d.totalBytes)
        },
        handle(RPC.GuestAdopt.self) { s, p throws(FleetError) in
            GuestOperationResult(guest: try s.agent.adopt(p.spec, expectedDigest: p.digest))
        },
        handle(RPC.GuestStage.self) { s, p throws(FleetError) in
            try s.agent.stageLayerDisk(p.name, bytes: p.diskBytes)
            return EmptyResult()
        },
        handle(RPC.GuestDiscardStaging.self) { s, p throws(FleetError) in
            try Names.validate(p.name, kind: "guest")
            s.agent.discardStaging(p.name)
            return EmptyResult()
        },
    ]).merging(transferHandlers) { line, _ in line }.merging(replicaHandlers) { line, _ in line }

    /// The methods with a raw stream after the request or the response
    /// line: each reads or writes its stream itself, and says whether the
    /// channel is still in step (keep serving).
    static let bulkHandlers: [String: BulkHandler] = [
        RPC.TemplateReceive.name: { s, r, input in s.receiveTemplate(r, input: input) },
        RPC.GuestExport.name: { s, r, _ in s.exportGuest(r) },
        RPC.GuestImport.name: { s, r, input in s.importGuest(r, input: input) },
        RPC.ReplicaRelaySend.name: { s, r, input in s.relayReplica(r, input: input) },
        RPC.ReplicaRelayReceive.name: { s, r, input in s.relayReplica(r, input: input) },
    ]

    static func handle<M: AgentMethod>(_ method: M.Type, _ body: @escaping @Sendable (RPCServer, M.Params) throws(FleetError) -> M.Result)
        -> (String, LineHandler) {
        (M.name, { s, r throws(FleetError) in EncodedResult(try body(s, try M.Params.decode(r.params, method: r.method))) })
    }

    private func timeout(_ t: Double?) throws(FleetError) -> Double {
        guard let t else { return 10 }
        guard t >= 0 && t <= 3600 else { throw .invalid("timeoutSeconds must be between 0 and 3600") }
        return t
    }

    private func encode<T: Encodable & Sendable>(_ value: T) throws(FleetError) -> EncodedResult {
        EncodedResult(value)
    }
}

extension LayerStreamStats {
    /// A source's answer: also says that this agent gives a delta's digest.
    init(exported transfer: LayerTransfer) {
        self.init(transfer)
        deltaDigests = true
    }

    init(_ transfer: LayerTransfer) {
        self.init(entries: transfer.stats.entries, fileBytes: transfer.stats.fileBytes, deleted: transfer.stats.deleted,
                  cachedDigests: transfer.cachedDigests,
                  digest: transfer.digest.map { LayerDigest(digest: $0.digest, fileCount: $0.fileCount, totalBytes: $0.totalBytes) })
    }
}
