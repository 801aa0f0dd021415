import FleetKernel
import FleetProtocol
import FleetSystem
import FleetTree
import FleetTreeStream
import Foundation
import Glibc

/// Replicas (docs/ARCHITECTURE.md, replicas): the source's half of a sync
/// (send the running guest's changes, freeze, send the rest, digest, thaw)
/// and the standby's (a next point beside the last complete one, verified,
/// then swapped in by one rename).
extension Agent {
    var replicas: ReplicaStore { ReplicaStore(paths: paths) }

    /// The longest the test hook below holds a guest frozen.
    static let maximumTestHoldSeconds = 30.0

    // MARK: standby

    /// Listens for one sync of guest `name` from `sourceAddress`.
    func listenForReplica(_ p: ReplicaListenParams) throws(FleetError) -> TransferListener {
        let pinned = try ListenRequestCheck(method: "replica.listen", transfer: p.transfer, name: p.name, kind: "guest", sourceFingerprint: p.sourceFingerprint,
                                            sourceAddress: p.sourceAddress, deadlineSeconds: p.deadlineSeconds).pinnedFingerprint()
        if guests.exists(p.name) {
            throw .conflict("guest \(p.name) exists on this host: a host is not the standby of a guest it runs (move the replica elsewhere)")
        }
        let name = p.name
        return try TransferListener(transfer: p.transfer, subject: "replica of guest \(name)", address: p.address, ports: try config.transferPortRange(),
                                    sourceAddress: p.sourceAddress, sourceFingerprint: pinned, deadlineSeconds: p.deadlineSeconds,
                                    log: transferLog) { [self] session in
            switch receiveReplica(name, transfer: p.transfer, over: session) {
            case .success(let point):
                return .success(LayerTransfer(stats: TreeStreamStats(), cachedDigests: nil, replica: point))
            case .failure(let error):
                // The source learns why (its replica.send says it too).
                try? ReplicaWire.send(ReplicaWire.Outcome(point: nil, error: error.message), over: session, what: "outcome")
                return .failure(error)
            }
        }
    }

    /// Receives one sync into a next point and commits it. Whatever fails,
    /// the current point stays as it was: the next one is built beside it.
    func receiveReplica(_ name: String, transfer: String, over session: any ReplicaConversation) -> Result<ReplicaPoint, FleetError> {
        do throws(FleetError) {
            let store = replicas
            try store.ensure(name)
            guard let claim = try store.claim(name) else {
                throw .conflict("another sync of guest \(name)'s replica is running on this host")
            }
            defer { withExtendedLifetime(claim) {} }
            store.removeLeftovers(name)
            let current = try store.point(name)
            let next = store.directory(name) + "/" + ReplicaStore.nextPrefix + transfer
            let upper = next + "/upper"
            guard mkdir(next, StatePermissions.privateDirectory) == 0 else {
                throw .failed("cannot create \(next): \(String(cString: strerror(errno)))")
            }
            var cache: DigestCache? = DigestCache()
            if let dir = store.currentPoint(name) {
                // Shares every file with the current point; the streams only
                // ever replace names in it (TreeLinkCloner says why that is safe).
                cache = DigestCache.load(dir + "/digest-cache")
                do { try TreeLinkCloner.clone(from: dir + "/upper", to: upper, cache: &cache) } catch {
                    throw .failed("cannot prepare the next point of guest \(name)'s replica: \(error)")
                }
            } else if mkdir(upper, 0o755) != 0 {
                throw .failed("cannot create \(upper): \(String(cString: strerror(errno)))")
            }
            var manifest: [TreeManifestEntry]
            do { manifest = try TreeManifest.build(root: upper) } catch { throw .failed("cannot list guest \(name)'s replica: \(error)") }
            // The last point was refused for its digest (ReplicaStore+Resend).
            if store.resendWanted(name) { manifest = ReplicaStore.resendingEveryFile(manifest) }
            try ReplicaWire.send(ReplicaWire.Base(point: current?.point, manifest: manifest), over: session, what: "base")
            for phase in ["running", "frozen"] {
                var source = ChunkedReader(ConversationSource(conversation: session))
                do {
                    _ = try TreeStreamReader.apply(from: &source, into: upper, digests: &cache)
                    // The applier stops at the tree stream's end record: the
                    // chunk framing's end is still to be read before the next part.
                    var scratch = [UInt8](repeating: 0, count: 4096)
                    while try scratch.withUnsafeMutableBytes({ try source.read(into: $0) }) > 0 {}
                } catch {
                    throw .failed("cannot receive guest \(name)'s replica (the part sent while it was \(phase)): \(error)")
                }
            }
            let trailer = try ReplicaWire.receive(ReplicaWire.Trailer.self, over: session, what: "trailer")
            guard trailer.spec.name == name else {
                throw .invalid("the sync of guest \(name) carried the spec of guest \(trailer.spec.name)")
            }
            let digest: TreeDigest
            do { digest = try TreeDigester.digest(root: upper, cache: &cache) } catch { throw .failed("cannot digest guest \(name)'s next point: \(error)") }
            guard digest.digest == trailer.digest else {
                store.markResend(name)
                throw .failed("guest \(name)'s next point has digest \(digest.digest.prefix(12)) but the source's frozen layer had \(trailer.digest.prefix(12)); the point was not kept (the previous one stays), and the next sync sends every file again")
            }
            let point = ReplicaPoint(guest: name, point: (current?.point ?? 0) + 1, takenAt: trailer.takenAt, digest: digest.digest,
                                     fileCount: digest.fileCount, totalBytes: digest.totalBytes, frozenSeconds: trailer.frozenSeconds, spec: trailer.spec)
            // On disk before it may become the point a failover starts from.
            try? cache?.save(next + "/digest-cache")
            try AtomicFile.writeJSON(point, to: next + "/point.json")
            FileSystemSync.sync(containing: next)
            try store.commit(name, next: next, point: point.point)
            store.clearResend(name)
            try ReplicaWire.send(ReplicaWire.Outcome(point: point, error: nil), over: session, what: "outcome")
            return .success(point)
        } catch {
            try? TreeRemover.remove(replicas.directory(name) + "/" + ReplicaStore.nextPrefix + transfer)
            return .failure(error)
        }
    }

    /// replica.show: the complete point; with `verify`, its tree's digest now.
    public func replicaState(_ name: String, verify: Bool) throws(FleetError) -> ReplicaState {
        try Names.validate(name, kind: "guest")
        guard let point = try replicas.point(name), let dir = replicas.currentPoint(name) else { return ReplicaState(point: nil) }
        guard verify else { return ReplicaState(point: point) }
        do {
            // No cache: a check of the point must read what is there.
            return ReplicaState(point: point, digestNow: try TreeDigester.digest(root: dir + "/upper").digest)
        } catch { throw .failed("cannot digest guest \(name)'s replica: \(error)") }
    }

    /// replica.drop: the replica goes, unless a sync is writing it.
    public func dropReplica(_ name: String) throws(FleetError) {
        try Names.validate(name, kind: "guest")
        let store = replicas
        guard FileManager.default.fileExists(atPath: store.directory(name)) else { return }
        guard let claim = try store.claim(name) else { throw .conflict("a sync of guest \(name)'s replica is running on this host; drop it after") }
        defer { withExtendedLifetime(claim) {} }
        try store.drop(name)
    }

    // MARK: source

    /// Sends one sync of guest `name` to the standby over TLS pinned to
    /// `p.destinationFingerprint`. The guest is frozen only for the last
    /// delta and the digest of the frozen layer, and thawed before this
    /// returns or throws.
    func sendReplica(_ p: ReplicaSendParams, identity: TransferIdentity) throws(FleetError) -> ReplicaSyncResult {
        guard TransferIdentity.validTransferId(p.transfer) else { throw .invalid("replica.send: transfer id must be 32 lowercase hex digits") }
        guard let pinned = TransferIdentity.parse(p.destinationFingerprint) else {
            throw .invalid("replica.send: destinationFingerprint must be 64 hex digits (the SHA-256 of the standby's certificate)")
        }
        let began = Date()
        let record = try guests.load(p.name)
        let reading = try readLayer(p.name, staging: false)
        defer { reading.end() }
        let session = try openTransfer(p.transfer, method: "replica.send", from: p.address, to: p.destinationAddress, port: p.destinationPort,
                                       pinned: pinned, identity: identity, connectSeconds: p.connectSeconds)
        defer { session.close() }
        return try sendReplica(record, layer: reading.directory, standby: p.destinationAddress, over: session, began: began)
    }

    /// The source's half of a sync's conversation, direct or relayed: the
    /// standby's base, the running part, the frozen part and the digest,
    /// the trailer, the standby's outcome.
    func sendReplica(_ record: GuestRecord, layer dir: String, standby: String, over session: any ReplicaConversation,
                     began: Date) throws(FleetError) -> ReplicaSyncResult {
        let name = record.spec.name
        let base = try ReplicaWire.receive(ReplicaWire.Base.self, over: session, what: "base")
        let cacheFile = digestCacheFile(name, staging: false)
        var cache: DigestCache? = DigestCache.load(cacheFile)
        // The running part's scan, kept: it is the frozen delta's base, and
        // the frozen scan reuses the xattr digests it read for entries
        // unchanged since (XattrReuse: one /proc path walk less per entry
        // while the guest is frozen).
        let runningScanStarted = XattrReuse.now()
        var runningNodes: [ScannedNode] = []
        let precopy = try sendTree(dir, since: base.manifest, cache: &cache, nodes: &runningNodes, reuse: nil,
                                   over: session, guest: name, phase: "running")
        let scanned = runningNodes.map(\.manifestEntry)
        let reuse = XattrReuse(nodes: runningNodes, scanStarted: runningScanStarted)
        runningNodes = []
        // The frozen part: the guest's processes stop, so the layer holds
        // still for the delta and the digest; the page cache holds what it
        // wrote, which is what both read.
        let cg = cgroup(of: name)
        let running = cg.isPopulated
        let marker = running ? try FreezeMarker.place(paths, guest: name) : nil
        let delta: TreeStreamStats
        let frozenEntries: [ScannedEntry]
        let takenAt = Date()
        var frozenSeconds = 0.0
        do throws(FleetError) {
            if running {
                do { try cg.freeze(timeoutSeconds: 5) } catch { throw .failed("cannot freeze guest \(name): \(error)") }
                Self.testHoldFrozen(paths)
            }
            defer {
                if running {
                    do { try cg.thaw() } catch {
                        FileHandle.standardError.write(Data("vfleet-agent: cannot thaw guest \(name): \(error)\n".utf8))
                    }
                    frozenSeconds = Date().timeIntervalSince(takenAt)
                }
            }
            // One walk while frozen: the delta's scan is also the point's
            // listing, its content digests from the cache or read now
            // (docs/ARCHITECTURE.md, replicas, says why that is the frozen state).
            var nodes: [ScannedNode] = []
            delta = try sendTree(dir, since: scanned, cache: &cache, nodes: &nodes, reuse: reuse, over: session, guest: name, phase: "frozen")
            do { frozenEntries = try TreeDigester.entries(of: nodes, root: dir, cache: &cache) } catch {
                throw .failed("cannot digest guest \(name)'s frozen layer: \(error)")
            }
            if running && !cg.isFrozen {
                throw .failed("guest \(name) was thawed by someone else during the sync; its point would not be consistent (retry)")
            }
        } catch {
            // Thawed above (the defer); the marker goes with the thaw.
            marker?.remove()
            throw error
        }
        marker?.remove()
        // Thawed: the records of the frozen entries are hashed now, and the
        // cache forgets the paths the frozen layer no longer had.
        let digest = TreeDigester.digest(of: frozenEntries)
        cache?.retain(Set(frozenEntries.lazy.map(\.path)))
        try? cache?.save(cacheFile)
        // Before the standby can commit a point (it waits for the trailer):
        // from now on a boot of this host leaves the guest to the controller,
        // which may have made that point the guest elsewhere.
        try ReplicatedMark(standby: standby, since: Date().timeIntervalSince1970).write(paths, name)
        try ReplicaWire.send(ReplicaWire.Trailer(digest: digest.digest, fileCount: digest.fileCount, totalBytes: digest.totalBytes,
                                                 takenAt: takenAt.timeIntervalSince1970, frozenSeconds: frozenSeconds, spec: record.spec),
                             over: session, what: "trailer")
        let outcome = try ReplicaWire.receive(ReplicaWire.Outcome.self, over: session, what: "outcome")
        guard let point = outcome.point else {
            throw .failed("the standby \(standby) did not keep the point: \(outcome.error ?? "no reason given")")
        }
        guard point.digest == digest.digest else {
            throw .failed("the standby \(standby) kept a point with digest \(point.digest.prefix(12)), not the frozen layer's \(digest.digest.prefix(12))")
        }
        return ReplicaSyncResult(point: point, precopyBytes: precopy.fileBytes, deltaBytes: delta.fileBytes, seconds: Date().timeIntervalSince(began))
    }

    /// Sends one part of a sync (what differs from `since`), keeping the stream's scan itself.
    private func sendTree(_ dir: String, since: [TreeManifestEntry], cache: inout DigestCache?, nodes: inout [ScannedNode],
                          reuse: XattrReuse?, over session: any ReplicaConversation, guest: String, phase: String) throws(FleetError) -> TreeStreamStats {
        var sink = ChunkedWriter(ConversationSink(conversation: session))
        do {
            let stats = try TreeStreamWriter.write(root: dir, to: &sink, since: since, digests: &cache, nodes: &nodes, reuse: reuse)
            try sink.finish()
            return stats
        } catch {
            throw FleetError(.unreachable, "cannot send guest \(guest)'s layer (the part sent while it was \(phase)): \(error)")
        }
    }

    /// Test hook of the cluster tests: with `test-hooks/replica-hold-frozen`
    /// in the agent's root (seconds, as text), a sync keeps the guest frozen
    /// that long, so that a test can kill the agent during the freeze. Only
    /// root can create it; it is read nowhere else.
    static func testHoldFrozen(_ paths: AgentPaths) {
        guard let text = try? String(contentsOfFile: paths.root + "/test-hooks/replica-hold-frozen", encoding: .utf8),
              let seconds = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)), seconds > 0 else { return }
        usleep(UInt32(min(seconds, maximumTestHoldSeconds) * 1_000_000))
    }

    /// Thaws guests that a dead sync left frozen (FreezeMarker); every
    /// agent process that serves the controller or boots the host runs it first.
    @discardableResult
    public func thawAbandonedFreezes() -> [String] {
        FreezeMarker.thawAbandoned(paths) { [self] name in cgroup(of: name) }
    }
}
