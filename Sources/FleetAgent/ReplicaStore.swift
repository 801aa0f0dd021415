import FleetKernel
import FleetProtocol
import FleetTree
import Foundation
import Glibc

/// A standby host's copies of other hosts' guests: per guest, the last
/// complete point and nothing half-applied.
///
///     replicas/NAME/current       symlink to the complete point, e.g. p-7
///     replicas/NAME/p-7/upper     the guest's layer as of the point
///     replicas/NAME/p-7/point.json
///     replicas/NAME/p-7/digest-cache
///     replicas/NAME/.next-ID/     the next point while a sync writes it
///     replicas/NAME/.lock         held (flock) by the sync writing it
///
/// A sync builds the next point beside the current one (a hard-link clone
/// of it, then the streams), verifies its digest, syncs the file system,
/// renames it to p-N and only then swaps `current` to it by renaming a new
/// symlink over the old one: one rename, so a reader (or a sync killed at
/// any moment) finds the old point or the new one, whole. What a dead sync
/// left is removed by the next one, under the lock.
struct ReplicaStore: Sendable {
    let root: String

    init(paths: AgentPaths) { root = paths.root + "/replicas" }

    func directory(_ name: String) -> String { root + "/" + name }
    func current(_ name: String) -> String { directory(name) + "/current" }
    func lockFile(_ name: String) -> String { directory(name) + "/.lock" }
    static let nextPrefix = ".next-"
    static let pointPrefix = "p-"

    /// The complete point's directory (resolved), or nil when there is none.
    func currentPoint(_ name: String) -> String? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: current(name)),
              target.hasPrefix(Self.pointPrefix), !target.contains("/") else { return nil }
        let dir = directory(name) + "/" + target
        return FileManager.default.fileExists(atPath: dir + "/point.json") ? dir : nil
    }

    func point(_ name: String) throws(FleetError) -> ReplicaPoint? {
        guard let dir = currentPoint(name) else { return nil }
        return try AtomicFile.readJSON(ReplicaPoint.self, from: dir + "/point.json")
    }

    /// Every guest with a complete point here.
    func guests() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { Names.isValid($0) && currentPoint($0) != nil }.sorted()
    }

    /// Creates replicas/NAME (private: a layer holds the guest's setuid files).
    func ensure(_ name: String) throws(FleetError) {
        do {
            for dir in [root, directory(name)] where mkdir(dir, StatePermissions.privateDirectory) != 0 && errno != EEXIST {
                throw KernelError.current("create directory", dir)
            }
        } catch { throw .failed("cannot create the replica directory of guest \(name): \(error)") }
    }

    /// The sync's hold on guest `name`'s replica; nil when another sync holds it.
    func claim(_ name: String) throws(FleetError) -> LeftoverClaim? {
        let file = lockFile(name)
        let fd = open(file, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .failed("cannot open \(file): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        return LeftoverClaim(fd: fd)
    }

    /// Removes what is not the current point: next points of dead syncs,
    /// an old point a sync swapped away from but did not remove yet, a
    /// symlink left half-made. Only under the claim.
    func removeLeftovers(_ name: String) {
        let keep = currentPoint(name).map { ($0 as NSString).lastPathComponent }
        let dir = directory(name)
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where entry != ".lock" && entry != "current" && entry != Self.resendMarker {
            guard entry != keep else { continue }
            try? TreeRemover.remove(dir + "/" + entry)
        }
    }

    /// Makes `next` (a verified, synced next point) the current one.
    func commit(_ name: String, next: String, point: Int) throws(FleetError) {
        let dir = directory(name)
        let final = dir + "/" + Self.pointPrefix + String(point)
        let old = currentPoint(name)
        // A point directory of the same number can only be a dead sync's.
        if final != old { try? TreeRemover.remove(final) }
        guard rename(next, final) == 0 else {
            throw .failed("cannot commit point \(point) of guest \(name)'s replica: rename \(next): \(String(cString: strerror(errno)))")
        }
        let link = dir + "/.current-" + String(point)
        unlink(link)
        guard symlink(Self.pointPrefix + String(point), link) == 0 else {
            throw .failed("cannot commit point \(point) of guest \(name)'s replica: symlink: \(String(cString: strerror(errno)))")
        }
        Self.syncDirectory(dir)
        // The switch: before this rename the old point is current, after it the new one.
        guard rename(link, current(name)) == 0 else {
            unlink(link)
            throw .failed("cannot commit point \(point) of guest \(name)'s replica: rename the current link: \(String(cString: strerror(errno)))")
        }
        Self.syncDirectory(dir)
        if let old, old != final { try? TreeRemover.remove(old) }
    }

    /// Drops the whole replica of `name`.
    func drop(_ name: String) throws(FleetError) {
        let dir = directory(name)
        guard FileManager.default.fileExists(atPath: dir) else { return }
        // The current link goes first: from then on there is no point, whatever is left.
        unlink(current(name))
        Self.syncDirectory(dir)
        do { try TreeRemover.remove(dir) } catch { throw .failed("cannot remove guest \(name)'s replica \(dir): \(error)") }
    }

    static func syncDirectory(_ dir: String) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
