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
    private var greeted = false
    /// Per guest, the layer's manifest as it was just before this channel's
    /// last full export: what the receiver got (or older). A change made
    /// while the export ran shows as a difference, so the delta sends it.
    private var exported: [String: [TreeManifestEntry]] = [:]
    private let reaper = ChildReaper()

    public init(agent: Agent) {
        self.agent = agent
    }

    /// Serves until stdin ends.
    public func serve() {
        reaper.startBackground()
        let input = InputReader(fd: 0)
        while let line = input.readLine() {
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            if case .success(let request) = RPCRequest.parse(line), RPCMethod.bulk.contains(request.method) {
                let (text, keepServing): (String, Bool)
                switch request.method {
                case RPCMethod.templateReceive: (text, keepServing) = receiveTemplate(request, input: input)
                case RPCMethod.guestExport: (text, keepServing) = exportGuest(request)
                default: (text, keepServing) = importGuest(request, input: input)
                }
                FileHandle.standardOutput.write(Data((text + "\n").utf8))
                if !keepServing { break }
                continue
            }
            FileHandle.standardOutput.write(Data((handle(line: line) + "\n").utf8))
        }
    }

    /// guest.export: the chunked layer stream goes to stdout right after the
    /// request; the response line follows its end chunk. A failure after the
    /// stream began still ends the stream (the receiver then fails on an
    /// incomplete tree) and is reported in the response.
    func exportGuest(_ r: RPCRequest) -> (String, Bool) {
        var sink = ChunkedWriter(FDSink(fd: 1))
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
            let before = since == nil ? try agent.layerManifest(p.name, staging: false) : nil
            let sent = try agent.exportLayer(p.name, since: since, to: &sink)
            if let before { exported[p.name] = before }
            do { try sink.finish() } catch { return (RPCResponse(id: r.id, error: .failed("guest.export: cannot write the stream: \(error)")).line(), false) }
            return (try RPCResultLine(id: r.id, result: try encode(LayerStreamStats(sent))).line(), true)
        } catch {
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
        if r.method == RPCMethod.hello {
            let p = try HelloParams.decode(r.params, method: r.method)
            guard p.protocolVersion == ProtocolVersion.current else {
                throw FleetError(.protocolError, "protocol version \(p.protocolVersion) is not supported (this agent speaks \(ProtocolVersion.current); upgrade the older side)")
            }
            greeted = true
            return try encode(p.facts == false ? agent.helloWithoutFacts() : agent.hello())
        }
        guard RPCMethod.all.contains(r.method) else {
            throw .notFound("unknown method \"\(r.method)\" (known: \(RPCMethod.all.joined(separator: ", ")))")
        }
        guard greeted else {
            throw FleetError(.protocolError, "\(r.method): send hello first (protocol version \(ProtocolVersion.current))")
        }
        switch r.method {
        case RPCMethod.check:
            _ = try EmptyParams.decode(r.params, method: r.method)
            return try encode(KernelChecker.run(layout: agent.layout))
        case RPCMethod.templateList:
            _ = try EmptyParams.decode(r.params, method: r.method)
            return try encode(agent.templates.list())
        case RPCMethod.templateBuild:
            let p = try TemplateBuildParams.decode(r.params, method: r.method)
            return try encode(agent.buildTemplate(kind: p.kind, name: p.name))
        case RPCMethod.templateImport:
            let p = try TemplateImportParams.decode(r.params, method: r.method)
            return try encode(agent.importTemplate(name: p.name, path: p.path))
        case RPCMethod.templateRemove:
            let p = try NameParams.decode(r.params, method: r.method)
            try agent.removeTemplate(p.name)
            return EncodedResult(JSONValue.object([:]))
        case RPCMethod.guestCreate:
            let p = try GuestCreateParams.decode(r.params, method: r.method)
            return try encode(GuestOperationResult(guest: agent.create(p.spec)))
        case RPCMethod.guestStart:
            let p = try NameParams.decode(r.params, method: r.method)
            let outcome = try agent.start(p.name)
            reaper.track(outcome.initPid)
            return try encode(GuestOperationResult(guest: outcome.status, warnings: outcome.warnings))
        case RPCMethod.guestStop:
            let p = try GuestStopParams.decode(r.params, method: r.method)
            let status = try agent.stop(p.name, timeout: try timeout(p.timeoutSeconds))
            reaper.reapExited()
            return try encode(GuestOperationResult(guest: status))
        case RPCMethod.guestRestart:
            let p = try GuestStopParams.decode(r.params, method: r.method)
            let outcome = try agent.restart(p.name, timeout: try timeout(p.timeoutSeconds))
            reaper.track(outcome.initPid)
            return try encode(GuestOperationResult(guest: outcome.status, warnings: outcome.warnings))
        case RPCMethod.guestDestroy:
            let p = try GuestDestroyParams.decode(r.params, method: r.method)
            try agent.destroy(p.name, force: p.force ?? false)
            reaper.reapExited()
            return try encode(GuestOperationResult(guest: nil))
        case RPCMethod.guestExec:
            let p = try GuestExecParams.decode(r.params, method: r.method)
            if let t = p.timeoutSeconds, !(t > 0 && t <= 86400) { throw .invalid("guest.exec: timeoutSeconds must be between 0 and 86400") }
            return try encode(agent.execCaptured(p))
        case RPCMethod.guestList:
            _ = try EmptyParams.decode(r.params, method: r.method)
            return try encode(agent.list())
        case RPCMethod.guestStatus:
            let p = try NameParams.decode(r.params, method: r.method)
            return try encode(agent.status(p.name))
        case RPCMethod.guestManifest:
            let p = try GuestLayerParams.decode(r.params, method: r.method)
            let entries = try agent.layerManifest(p.name, staging: p.staging)
            let totalBytes = entries.reduce(0) { $0 + ($1.kind == .file ? $1.size : 0) }
            if p.summary == true { return try encode(LayerManifest(encoded: "", entries: entries.count, totalBytes: totalBytes)) }
            guard let data = try? JSONEncoder().encode(entries) else { throw FleetError.failed("guest.manifest: cannot encode") }
            return try encode(LayerManifest(encoded: String(decoding: data, as: UTF8.self), entries: entries.count, totalBytes: totalBytes))
        case RPCMethod.guestPrehash:
            let p = try GuestLayerParams.decode(r.params, method: r.method)
            return try encode(agent.prehashLayer(p.name, staging: p.staging))
        case RPCMethod.guestDigest:
            let p = try GuestLayerParams.decode(r.params, method: r.method)
            let d = try agent.layerDigest(p.name, staging: p.staging)
            return try encode(LayerDigest(digest: d.digest, fileCount: d.fileCount, totalBytes: d.totalBytes))
        case RPCMethod.guestAdopt:
            let p = try GuestAdoptParams.decode(r.params, method: r.method)
            return try encode(GuestOperationResult(guest: agent.adopt(p.spec, expectedDigest: p.digest)))
        case RPCMethod.guestDiscardStaging:
            let p = try NameParams.decode(r.params, method: r.method)
            try Names.validate(p.name, kind: "guest")
            agent.discardStaging(p.name)
            return EncodedResult(JSONValue.object([:]))
        default:
            throw .notFound("unknown method \"\(r.method)\"")
        }
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
    init(_ transfer: LayerTransfer) {
        self.init(entries: transfer.stats.entries, fileBytes: transfer.stats.fileBytes, deleted: transfer.stats.deleted,
                  cachedDigests: transfer.cachedDigests)
    }
}
