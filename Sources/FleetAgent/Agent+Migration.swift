import FleetKernel
import FleetProtocol
import FleetTree
import FleetTreeStream
import Foundation
import Glibc

/// The agent's half of a cold migration: the guest's own layer (the
/// overlay's upper directory) streams out of the source and into a staging
/// area at the destination, is verified there by digest, and only then
/// becomes a guest (adopt). The template never travels with it.
extension Agent {
    /// guests/.incoming-NAME: the staging area of an incoming guest.
    func staging(_ name: String) -> String { paths.guests + "/.incoming-" + name }
    func stagingUpper(_ name: String) -> String { staging(name) + "/upper" }

    func layer(_ name: String, staging fromStaging: Bool) throws(FleetError) -> String {
        try Names.validate(name, kind: "guest")
        let dir = try diskLayer(name, staging: fromStaging) ?? (fromStaging ? stagingUpper(name) : paths.guestUpper(name))
        guard FileManager.default.fileExists(atPath: dir) else {
            throw .notFound(fromStaging ? "no incoming copy of guest \(name) on this host" : "unknown guest \(name)")
        }
        return dir
    }

    /// Streams the guest's own layer; with `since`, only what differs from
    /// the receiver's manifest. After the full copy (the pre-copy, while the
    /// guest still runs) the layer's file system is synced: the guest's dirty
    /// pages are written back now, not when it stops (a memory cgroup full of
    /// dirty page cache made the stop take seconds: downtime).
    public func exportLayer<S: ByteSink>(_ name: String, since: [TreeManifestEntry]?, to sink: inout S) throws(FleetError) -> LayerTransfer {
        try exportLayer(name, since: since, to: &sink, reuse: nil, digest: false, digests: nil) { _ throws(FleetError) in }
    }

    /// The same, with `reuse`: the xattr digests of this process's earlier
    /// export of the layer (``LayerTransfer/reusable``), which the scan takes
    /// for entries unchanged since instead of reading their attributes again.
    /// `finish` ends the stream (its end chunk) once the tree is sent.
    ///
    /// With `digest` and `since` (a move's delta, the guest stopped), the
    /// answer also holds the layer's digest, as ``layerDigest(_:staging:)``
    /// gives it, taken from the delta's own scan after `finish`: the stopped
    /// layer is walked once for both, not twice side by side, and the
    /// receiver applies the delta meanwhile. Refused for a running guest,
    /// whose layer the scan would not describe once the digest is made.
    /// `digests`: the layer's digest cache as this process's whole export
    /// left it (``LayerTransfer/digestCache``), else it is read from its file.
    package func exportLayer<S: ByteSink>(_ name: String, since: [TreeManifestEntry]?, to sink: inout S, reuse: XattrReuse?, digest: Bool,
                                          digests known: DigestCache?,
                                          finish: (inout S) throws(FleetError) -> Void) throws(FleetError) -> LayerTransfer {
        _ = try guests.load(name)
        let withDigest = digest && since != nil
        if withDigest && cgroup(of: name).isPopulated {
            throw .conflict("cannot digest guest \(name)'s layer with its delta: the guest runs (stop it first, or ask guest.digest)")
        }
        let reading = try readLayer(name, staging: false)
        defer { reading.end() }
        let dir = reading.directory
        let stats: TreeStreamStats
        var scanned: [TreeManifestEntry] = []
        var nodes: [ScannedNode] = []
        // A whole copy hashes what it reads into the layer's digest cache,
        // so the digest after the stop reads only what changed since; a
        // delta with the digest hashes what it sends into it, so the digest
        // reads nothing again.
        let cacheFile = digestCacheFile(name, staging: false)
        var digests: DigestCache?
        if withDigest, var known {
            // This hashing starts now (the racy window is timed from it).
            known.hashedAt = Date().timeIntervalSince1970
            digests = known
        } else if since == nil || withDigest {
            digests = DigestCache.load(cacheFile)
        }
        var reusable: XattrReuse?
        do {
            if withDigest {
                // No xattr digests kept for a later delta: a move sends one
                // delta, and building that table took 40 ms of its downtime.
                stats = try TreeStreamWriter.write(root: dir, to: &sink, since: since, digests: &digests, nodes: &nodes, reuse: reuse)
            } else {
                stats = try TreeStreamWriter.write(root: dir, to: &sink, since: since, digests: &digests, scanned: &scanned,
                                                   reuse: reuse, reusable: &reusable)
            }
        } catch {
            throw .failed("cannot export guest \(name): \(error)")
        }
        try finish(&sink)
        var sent = LayerTransfer(stats: stats, cachedDigests: since == nil ? digests?.count : nil, scanned: scanned)
        sent.reusable = reusable
        if since == nil {
            if (try? digests?.save(cacheFile)) != nil { digests?.markSaved() }
            FileSystemSync.sync(containing: dir)
            sent.digestCache = digests
        } else if withDigest {
            sent.digest = try digestOfScan(name, nodes: nodes, layer: dir, cache: &digests, cacheFile: cacheFile)
            sent.digestCache = digests
        }
        return sent
    }

    /// The layer's digest from a scan of it that the tree has held still
    /// since (``TreeDigester/entries(of:root:cache:)``): files the cache
    /// cannot vouch for are read now.
    private func digestOfScan(_ name: String, nodes: [ScannedNode], layer dir: String, cache: inout DigestCache?,
                              cacheFile: String) throws(FleetError) -> TreeDigest {
        let entries: [ScannedEntry]
        do { entries = try TreeDigester.entries(of: nodes, root: dir, cache: &cache) } catch {
            throw .failed("cannot digest guest \(name)'s layer: \(error)")
        }
        // The cache forgets the paths the layer no longer has, as a digest's
        // walk makes it, when it holds more than the layer's files (a set of
        // 50,000 paths is not made for nothing); unchanged, the file holds
        // it already.
        if let count = cache?.count, count > entries.lazy.filter({ $0.kind == .file }).count {
            cache?.retain(Set(entries.lazy.map(\.path)))
        }
        if cache?.changed == true, (try? cache?.save(cacheFile)) != nil { cache?.markSaved() }
        return TreeDigester.digest(of: entries)
    }

    /// Applies a stream into the staging area of `name`. A guest of that name
    /// must not exist here. On failure the staging area is removed: nothing
    /// half-written stays.
    public func importLayer<S: ByteSource>(_ name: String, from source: inout S) throws(FleetError) -> LayerTransfer {
        try Names.validate(name, kind: "guest")
        if guests.exists(name) {
            throw .conflict("guest \(name) already exists on this host (destroy it there first, e.g. an old --keep-source copy)")
        }
        try paths.ensure()
        // The first stream into a new staging area (not a --disk one, whose
        // layer is an image): it plans the guest's id range here.
        var firstCopy = false
        do {
            // Private like a guest's directory: the staged layer holds the
            // guest's setuid files (StatePermissions). An older staging area
            // of the same name is brought to the same mode.
            if mkdir(staging(name), StatePermissions.privateDirectory) != 0 && errno != EEXIST {
                throw KernelError.current("create directory", staging(name))
            }
            StatePermissions.set(staging(name), mode: StatePermissions.privateDirectory)
            // The staged upper/ becomes the guest's "/": the stream sets its mode.
            if !stagedLayerDisk(name).exists {
                if mkdir(stagingUpper(name), 0o755) == 0 {
                    firstCopy = true
                } else if errno != EEXIST {
                    throw KernelError.current("create directory", stagingUpper(name))
                }
            }
        } catch {
            throw .failed("cannot create the staging area for guest \(name): \(error)")
        }
        do {
            // Every file written is hashed into the staging area's digest
            // cache (read back while still in the page cache), so that the
            // verification reads nothing again.
            // The stream's digests are merged into the cache file only if it
            // changed something: a move's delta usually changes nothing, and
            // reading and rewriting a cache of 50,000 lines would lengthen
            // the downtime for nothing.
            let cacheFile = digestCacheFile(name, staging: true)
            var written: DigestCache? = DigestCache()
            let into = try diskLayer(name, staging: true) ?? stagingUpper(name)
            // New names are written in place: the staging area is read by
            // nothing before this stream ends, and is adopted only after its
            // digest matched the source's (a crash mid-file leaves a partial
            // file there that the move's rollback removes, or a resumed
            // pre-copy replaces, and that the digest would refuse anyway).
            // Owners go into the range the guest will have here as they are
            // written: its start then has nothing to rebase (Agent+OwnerMap).
            let owners = try ownerMapper(for: name, firstCopy: firstCopy)
            let stats = try TreeStreamReader.apply(
                from: &source, into: into, digests: &written, newNamesInPlace: true, owners: owners,
                writerThreads: config.receiveWriterThreads)
            try settleOwnerMap(name, owners, layer: into)
            // The cache's new text is made while the sync runs; the file is
            // replaced after it (StagedDigestCacheUpdate).
            var update: StagedDigestCacheUpdate?
            if stats.entries > 0 || stats.deleted > 0, let written {
                update = StagedDigestCacheUpdate(file: cacheFile, adding: written)
            }
            // On disk before the source copy may ever go, and written back
            // now (the pre-copy runs while the guest does) rather than by an
            // fsync during the downtime. Before the digest cache is saved: a
            // crash must not leave a cache that vouches for data the disk
            // never got.
            FileSystemSync.sync(containing: into)
            let cached = update?.finish() ?? written?.count ?? 0
            return LayerTransfer(stats: stats, cachedDigests: cached)
        } catch {
            let disk = stagedLayerDisk(name).exists ? diskLimitText(name) : nil
            discardStaging(name)
            let text = "\(error)"
            let full = text.contains("No space left") || text.contains("ENOSPC") || text.contains("Disk quota")
            let why = disk.map { " (the guest's layer does not fit its disk limit of \($0): raise --disk)" } ?? " (the destination's disk is full)"
            throw .failed("cannot receive guest \(name): \(text)\(full ? why : ""); nothing was kept")
        }
    }

    /// The layer's manifest.
    public func layerManifest(_ name: String, staging fromStaging: Bool) throws(FleetError) -> [TreeManifestEntry] {
        let reading = try readLayer(name, staging: fromStaging)
        defer { reading.end() }
        let dir = reading.directory
        var entries: [TreeManifestEntry]
        do { entries = try TreeManifest.build(root: dir) } catch { throw .failed("cannot list guest \(name)'s layer: \(error)") }
        // A staged copy lists the owners its source has, as its digest does:
        // a resumed delta compares with them.
        if fromStaging, let map = ownerMap(name) {
            for i in entries.indices {
                entries[i].uid = map.original(entries[i].uid)
                entries[i].gid = map.original(entries[i].gid)
            }
        }
        return entries
    }

    /// The layer's entries and file bytes (a move's progress total), on one
    /// thread: it runs beside the pre-copy's sender on the same host.
    public func layerSize(_ name: String, staging fromStaging: Bool) throws(FleetError) -> TreeSize.Size {
        let reading = try readLayer(name, staging: fromStaging)
        defer { reading.end() }
        do { return try TreeSize.measure(root: reading.directory) } catch { throw .failed("cannot measure guest \(name)'s layer: \(error)") }
    }

    /// The layer's digest cache: next to the layer, so it travels with the
    /// staging area when it is adopted, and goes with the guest.
    func digestCacheFile(_ name: String, staging fromStaging: Bool) -> String {
        (fromStaging ? staging(name) : paths.guest(name)) + "/digest-cache"
    }

    public func layerDigest(_ name: String, staging fromStaging: Bool) throws(FleetError) -> TreeDigest {
        // A staged copy is digested with the owners its source has (Agent+OwnerMap).
        try layerDigest(name, staging: fromStaging, owners: fromStaging ? ownerMap(name) : nil)
    }

    /// The digest with `owners`' ids put back.
    func layerDigest(_ name: String, staging fromStaging: Bool, owners: OwnerRangeMap?) throws(FleetError) -> TreeDigest {
        let reading = try readLayer(name, staging: fromStaging)
        defer { reading.end() }
        let dir = reading.directory
        let file = digestCacheFile(name, staging: fromStaging)
        var cache: DigestCache? = DigestCache.load(file)
        let digest: TreeDigest
        do {
            if let map = owners {
                digest = try TreeDigester.digest(root: dir, cache: &cache, owners: map)
            } else {
                digest = try TreeDigester.digest(root: dir, cache: &cache)
            }
        } catch { throw .failed("cannot digest guest \(name)'s layer: \(error)") }
        // Unchanged (every file hashed before): the file holds it already.
        if cache?.changed == true { try? cache?.save(file) }
        return digest
    }

    /// Hashes what the layer's digest cache lacks, while the guest may run
    /// (a move's pre-copy): the digest after the stop then reads only what
    /// changed. Best effort: files that change meanwhile are simply left out.
    public func prehashLayer(_ name: String, staging fromStaging: Bool) throws(FleetError) -> LayerPrehash {
        let reading = try readLayer(name, staging: fromStaging)
        defer { reading.end() }
        let dir = reading.directory
        let file = digestCacheFile(name, staging: fromStaging)
        var cache = DigestCache.load(file)
        do { try TreeDigester.prehash(root: dir, cache: &cache) } catch { throw .failed("cannot hash guest \(name)'s layer: \(error)") }
        if cache.changed { try? cache.save(file) }
        return LayerPrehash(cachedFiles: cache.count)
    }

    /// Turns a verified staging area into the guest `spec` (not started).
    /// Idempotent: a guest already adopted with the same digest is fine.
    ///
    /// The staged layer is digested again here, whatever an earlier
    /// verification found: a resumed move may adopt hours after it, and
    /// nothing but the tree itself says what it holds now. The digest cache
    /// keeps this cheap (only files whose device, inode, size, mtime or
    /// ctime, to the nanosecond, changed are read), and a flipped byte
    /// changes ctime even when size and mtime are put back.
    public func adopt(_ spec: GuestSpec, expectedDigest: String) throws(FleetError) -> GuestStatus {
        try spec.validate()
        let name = spec.name
        // Hashing a layer may take minutes: it is done before the agent's
        // lock, which covers only the name, the context id and the rename.
        // Only this move writes the staging area meanwhile.
        let adopted = guests.exists(name)
        // Adopted already (a resumed move): not started since, so its layer
        // still has the owners the copy gave it, and the map beside it.
        let digest = try (adopted ? layerDigest(name, staging: false, owners: ownerMap(name, staging: false)) : layerDigest(name, staging: true)).digest
        let lock = try lock()
        defer { withExtendedLifetime(lock) {} }
        if guests.exists(name) {
            if adopted && digest == expectedDigest && !FileManager.default.fileExists(atPath: staging(name)) {
                return status(of: try guests.load(name))
            }
            throw .conflict("cannot adopt guest \(name): a guest of that name exists on this host")
        }
        if adopted { throw .conflict("cannot adopt guest \(name): it was destroyed while its layer was being checked (retry the move)") }
        try checkAddressesFree(spec)
        let template = try templates.info(spec.template)
        guard digest == expectedDigest else {
            throw .failed("cannot adopt guest \(name): its staged layer has digest \(digest.prefix(12)), expected \(expectedDigest.prefix(12))")
        }
        try settleStagedDisk(spec)
        let record = GuestRecord(spec: spec, contextId: try adoptedContextId(name, map: ownerMap(name)),
                                 templateDigest: template.digest, createdAt: Date().timeIntervalSince1970)
        let s = staging(name)
        do {
            for dir in [s + "/work", s + "/rootfs"] where !FileManager.default.fileExists(atPath: dir) {
                try StatePermissions.makeDirectory(dir)
            }
            StatePermissions.set(s, mode: StatePermissions.privateDirectory)
        } catch {
            throw .failed("cannot adopt guest \(name): \(error)")
        }
        try AtomicFile.writeJSON(record, to: s + "/config.json")
        // One rename makes it a guest: before it, only a staging area exists.
        guard rename(s, paths.guest(name)) == 0 else {
            throw .failed("cannot adopt guest \(name): \(String(cString: strerror(errno)))")
        }
        return status(of: record)
    }

    public func discardStaging(_ name: String) {
        guard Names.isValid(name) else { return }
        stagedLayerDisk(name).unmount()
        try? TreeRemover.remove(staging(name))
    }
}
