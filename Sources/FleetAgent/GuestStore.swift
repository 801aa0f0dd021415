import FleetProtocol
import FleetTree
import Foundation
import Glibc

/// Guest records on disk: guests/NAME/config.json, plus the directories of
/// the guest's own layer.
public struct GuestStore: Sendable {
    public let paths: AgentPaths

    public init(paths: AgentPaths) { self.paths = paths }

    public func all() -> [GuestRecord] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: paths.guests)) ?? []
        return names.filter(Names.isValid).sorted().compactMap { (name: String) -> GuestRecord? in
            guard FileManager.default.fileExists(atPath: paths.guestConfig(name)) else { return nil }
            return try? DecodedFileCache.readJSON(GuestRecord.self, from: paths.guestConfig(name))
        }
    }

    public func load(_ name: String) throws(FleetError) -> GuestRecord {
        try Names.validate(name, kind: "guest")
        guard FileManager.default.fileExists(atPath: paths.guestConfig(name)) else {
            throw .notFound("unknown guest \(name) (see `vfleet-agent list`)")
        }
        return try DecodedFileCache.readJSON(GuestRecord.self, from: paths.guestConfig(name))
    }

    public func exists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: paths.guestConfig(name))
    }

    /// Makes the guest's directories and writes its record last, so a guest
    /// is listed only once it is complete.
    public func create(_ record: GuestRecord) throws(FleetError) {
        let name = record.spec.name
        do {
            try StatePermissions.makeDirectory(paths.guest(name))
            if record.spec.limits.diskBytes == nil {
                // upper/ is the guest's "/": its mode is what the guest sees.
                // Its parent keeps it from the host's other users.
                try StatePermissions.makeDirectory(paths.guestUpper(name), mode: 0o755)
                try StatePermissions.makeDirectory(paths.guestWork(name))
            }
            try StatePermissions.makeDirectory(paths.guestRootfs(name))
        } catch {
            if error.errno != EEXIST { try? TreeRemover.remove(paths.guest(name)) }
            throw .failed("cannot create guest \(name): \(error)")
        }
        if let bytes = record.spec.limits.diskBytes {
            // Made now, mounted when needed (start, export): see GuestLayerDisk.
            let disk = GuestLayerDisk(directory: paths.guest(name), what: "guest \(name)", lockFile: paths.guestDiskLockFile(name))
            do { try disk.make(bytes: bytes) } catch {
                try? TreeRemover.remove(paths.guest(name))
                throw error
            }
        }
        do {
            try save(record)
        } catch {
            try? TreeRemover.remove(paths.guest(name))
            throw error
        }
    }

    public func save(_ record: GuestRecord) throws(FleetError) {
        try AtomicFile.writeJSON(record, to: paths.guestConfig(record.spec.name))
    }

    /// Removes the record first (the guest disappears at once, atomically);
    /// its files go in the background (TrashCollector).
    public func remove(_ name: String) throws(FleetError) {
        let trash = paths.guests + "/" + TrashCollector.prefix + "\(name)-\(UUID().uuidString.prefix(8))"
        guard Foundation.rename(paths.guest(name), trash) == 0 else {
            throw .failed("cannot destroy guest \(name): \(String(cString: strerror(errno)))")
        }
        // A user namespace guest's directory let its root pass: the trash lets nobody.
        StatePermissions.set(trash, mode: StatePermissions.privateDirectory)
        TrashCollector.sweep(paths.guests)
    }
}
