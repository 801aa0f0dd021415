import FleetKernel
import FleetProtocol
import FleetTree
import FleetTreeStream
import Foundation
import Glibc

/// A moved layer arrives owned in the id range its guest will have here
/// (OwnerRangeMap, StreamOwnerMapper), so that the start after the move has
/// nothing to rebase. The staging area records the range it planned
/// (`planned-context`, written before the first stream) and, once the first
/// stream showed the source's range, the map (`owner-map.json`); adopt gives
/// the guest the planned context id if it is still free, and digests the
/// staged tree with the ids put back.
extension Agent {
    func plannedContextFile(_ name: String) -> String { staging(name) + "/planned-context" }
    func ownerMapFile(_ name: String, staging fromStaging: Bool = true) -> String {
        (fromStaging ? staging(name) : paths.guest(name)) + "/owner-map.json"
    }

    /// The map a staging area (or a guest adopted but not yet started)
    /// recorded, if its first stream learned one.
    func ownerMap(_ name: String, staging fromStaging: Bool = true) -> OwnerRangeMap? {
        guard let data = FileManager.default.contents(atPath: ownerMapFile(name, staging: fromStaging)) else { return nil }
        return try? JSONDecoder().decode(OwnerRangeMap.self, from: data)
    }

    /// The mapper for a stream into `name`'s staging area: the recorded map
    /// for a later stream; for the first stream into a new staging area, a
    /// planned range (the lowest context id free of guests and of other
    /// staging areas' plans) whose source side the stream teaches. nil for a
    /// later stream into a staging area that learned no map: its ids stay
    /// as sent, and the start rebases them as before.
    func ownerMapper(for name: String, firstCopy: Bool) throws(FleetError) -> StreamOwnerMapper? {
        if let map = ownerMap(name) { return StreamOwnerMapper(continuing: map) }
        guard firstCopy else { return nil }
        let lock = try lock()
        defer { withExtendedLifetime(lock) {} }
        let used = Set(guests.all().map(\.contextId)).union(plannedContextIds(except: name))
        // No id free: the copy goes as sent, and adopt says why it cannot be a guest.
        guard let contextId = try? GuestRecord.nextContextId(for: name, avoiding: used, from: config.firstContextId) else { return nil }
        try AtomicFile.write(Data((String(contextId) + "\n").utf8), to: plannedContextFile(name))
        let file = ownerMapFile(name)
        return StreamOwnerMapper(targetBase: UInt32(contextId) * UserNamespace.idsPerGuest, contextId: contextId) { map in
            try AtomicFile.writeJSON(map, to: file)
        }
    }

    /// Context ids other incoming copies planned.
    private func plannedContextIds(except name: String) -> [Int] {
        let prefix = ".incoming-"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: paths.guests)) ?? []
        return entries.compactMap { entry -> Int? in
            guard entry.hasPrefix(prefix), entry != prefix + name,
                  let text = try? String(contentsOfFile: paths.guests + "/" + entry + "/planned-context", encoding: .utf8) else { return nil }
            return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// After a stream: records whether the map stayed exact, and gives the
    /// staged layer's root the target range's owner only if it did. That
    /// owner is what tells a start the layer is in its range (prepareOwnership);
    /// otherwise the root keeps host root, and the start rebases every entry.
    func settleOwnerMap(_ name: String, _ mapper: StreamOwnerMapper?, layer: String) throws(FleetError) {
        guard let map = mapper?.current else { return }
        if map != ownerMap(name) { try AtomicFile.writeJSON(map, to: ownerMapFile(name)) }
        let owner = map.exact ? map.targetBase : 0
        guard lchown(layer, owner, owner) == 0 else {
            throw .failed("cannot set the owner of \(layer): \(String(cString: strerror(errno)))")
        }
    }

    /// The context id adopt gives `name`: the one its staging area planned
    /// when it is still free here, else the lowest free one.
    func adoptedContextId(_ name: String, map: OwnerRangeMap?) throws(FleetError) -> Int {
        let all = guests.all()
        if let planned = map?.contextId, planned >= config.firstContextId, planned <= GuestRecord.lastContextId,
           !all.contains(where: { $0.contextId == planned }) {
            return planned
        }
        return try GuestRecord.nextContextId(for: name, in: all, from: config.firstContextId)
    }
}
