import FleetProtocol
import Foundation
import Glibc

/// A failover's step on the standby host (docs/ARCHITECTURE.md, failover):
/// the replica's complete point becomes the guest. No byte is copied: the
/// point's layer is renamed into the staging area a move would have filled,
/// and adopted from there as a move's copy is (digest checked against the
/// point's, a context id, one rename into guests/). The point's record goes
/// with the guest as `replica-point.json`, so that a failover run again
/// after a crash finds what it did and answers the same point.
extension Agent {
    static let promotedPointFile = "replica-point.json"

    /// replica.promote: guest `spec.name` from the replica's current point.
    public func promoteReplica(_ p: ReplicaPromoteParams) throws(FleetError) -> ReplicaPromotion {
        let name = p.name
        try Names.validate(name, kind: "guest")
        guard p.spec.name == name else { throw .invalid("replica.promote: the spec is guest \(p.spec.name)'s, not \(name)'s") }
        try p.spec.validate()
        if p.spec.limits.diskBytes != nil {
            throw .invalid("replica.promote: guest \(name) has a --disk limit; a replica is kept as a directory and cannot become a guest with a disk of its own yet (promote it by hand: see docs/ARCHITECTURE.md, failover)")
        }
        if guests.exists(name) {
            // Done before (a failover run again): the same answer, unless
            // this guest is not the one a promote made.
            guard let point = try? AtomicFile.readJSON(ReplicaPoint.self, from: paths.guest(name) + "/" + Self.promotedPointFile) else {
                throw .conflict("replica.promote: guest \(name) exists on this host and was not made from its replica; destroy it first if the replica must replace it")
            }
            return ReplicaPromotion(point: point, guest: status(of: try guests.load(name)), already: true)
        }
        let store = replicas
        guard FileManager.default.fileExists(atPath: store.directory(name)) else {
            throw .notFound("replica.promote: this host has no replica of guest \(name)")
        }
        guard let claim = try store.claim(name) else {
            throw .conflict("replica.promote: a sync of guest \(name)'s replica is running on this host; retry when it ends")
        }
        defer { withExtendedLifetime(claim) {} }
        let stage = staging(name)
        let staged = stage + "/" + Self.promotedPointFile
        let point: ReplicaPoint
        if let earlier = try? AtomicFile.readJSON(ReplicaPoint.self, from: staged) {
            // A promote died between its renames: finish it.
            point = earlier
        } else {
            if FileManager.default.fileExists(atPath: stage) {
                throw .conflict("replica.promote: an incoming copy of guest \(name) (a move to this host?) is in \(stage); finish or roll back that move first")
            }
            guard let current = try store.point(name), store.currentPoint(name) != nil else {
                throw .notFound("replica.promote: guest \(name)'s replica on this host has no complete point (its first sync never finished)")
            }
            point = current
            do { try StatePermissions.makeDirectory(stage) } catch { throw .failed("replica.promote: cannot create \(stage): \(error)") }
            try AtomicFile.writeJSON(point, to: staged)
        }
        try moveLayer(of: name, point: point, into: stage)
        let made = try adopt(p.spec, expectedDigest: point.digest)
        // The layer is the guest's now; the rest of the replica goes.
        do { try store.drop(name) } catch {
            FileHandle.standardError.write(Data("vfleet-agent: guest \(name) promoted, but its replica's rest stays: \(error.message)\n".utf8))
        }
        return ReplicaPromotion(point: point, guest: made, already: false)
    }

    /// Renames the point's layer and digest cache into the staging area
    /// (the same file system: both are under the agent's root), unless an
    /// earlier attempt did.
    private func moveLayer(of name: String, point: ReplicaPoint, into stage: String) throws(FleetError) {
        let target = stagingUpper(name)
        if FileManager.default.fileExists(atPath: target) { return }
        let dir = replicas.directory(name) + "/" + ReplicaStore.pointPrefix + String(point.point)
        guard rename(dir + "/upper", target) == 0 else {
            throw .failed("replica.promote: cannot move point \(point.point) of guest \(name) into place: rename \(dir)/upper: \(String(cString: strerror(errno)))")
        }
        _ = rename(dir + "/digest-cache", digestCacheFile(name, staging: true))
        ReplicaStore.syncDirectory(stage)
    }
}
