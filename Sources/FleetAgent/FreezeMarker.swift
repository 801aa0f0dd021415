import FleetKernel
import FleetProtocol
import Foundation
import Glibc

/// A sync never leaves a guest frozen: before its cgroup is frozen, the
/// agent writes `frozen/NAME` (fsynced) and holds an flock on it until the
/// guest is thawed and the file removed. The kernel drops the flock when
/// that process dies, however it dies; every agent that starts
/// (`vfleet-agent rpc`, which the controller runs for every session, and
/// `boot`) thaws each guest whose marker nobody holds (``thawAbandoned``).
///
/// The marker is made under a temporary name, locked, then renamed into
/// place, so a starting agent never finds a marker whose freezer has not
/// locked it yet; it removes one only if the name still holds the inode it
/// locked (a later sync's marker is left alone).
struct FreezeMarker {
    let path: String
    private let fd: Int32

    static func directory(_ paths: AgentPaths) -> String { paths.root + "/frozen" }
    static func file(_ paths: AgentPaths, _ name: String) -> String { directory(paths) + "/" + name }

    /// Writes and locks guest `name`'s marker; the guest is not frozen yet.
    static func place(_ paths: AgentPaths, guest name: String) throws(FleetError) -> FreezeMarker {
        let dir = directory(paths)
        if mkdir(dir, 0o700) != 0 && errno != EEXIST {
            throw .failed("cannot create \(dir): \(String(cString: strerror(errno))); not freezing guest \(name)")
        }
        let final = file(paths, name)
        let temporary = dir + "/.new-" + name + "-" + String(getpid())
        let fd = open(temporary, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .failed("cannot write \(temporary): \(String(cString: strerror(errno))); not freezing guest \(name)") }
        let text = "{\"guest\":\"\(name)\",\"pid\":\(getpid()),\"since\":\(Date().timeIntervalSince1970)}\n"
        let ok = flock(fd, LOCK_EX) == 0 && text.withCString { write(fd, $0, strlen($0)) } == text.utf8.count && fsync(fd) == 0
        guard ok, rename(temporary, final) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            unlink(temporary)
            throw .failed("cannot write the freeze marker \(final): \(why); not freezing guest \(name)")
        }
        ReplicaStore.syncDirectory(dir)
        return FreezeMarker(path: final, fd: fd)
    }

    /// After the thaw: the marker goes, then the lock.
    func remove() {
        unlink(path)
        close(fd)
    }

    /// Thaws every guest whose marker no living process holds, and
    /// removes the marker. Returns the guests thawed.
    @discardableResult
    static func thawAbandoned(_ paths: AgentPaths, cgroup: (String) -> GuestCgroup) -> [String] {
        let dir = directory(paths)
        var thawed: [String] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            let path = dir + "/" + entry
            if entry.hasPrefix(".new-") {
                // A marker that never got its name: its freezer died before
                // freezing, or holds it still (then the lock says so).
                let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
                if fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 { unlink(path) }
                if fd >= 0 { close(fd) }
                continue
            }
            guard Names.isValid(entry) else { continue }
            let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }  // its sync is alive
            var held = stat()
            var named = stat()
            guard fstat(fd, &held) == 0, lstat(path, &named) == 0, held.st_ino == named.st_ino, held.st_dev == named.st_dev else { continue }
            do throws(KernelError) {
                try cgroup(entry).thaw()
            } catch {
                FileHandle.standardError.write(Data("vfleet-agent: cannot thaw guest \(entry) left frozen by a dead sync: \(error)\n".utf8))
                continue
            }
            unlink(path)
            thawed.append(entry)
        }
        if !thawed.isEmpty { ReplicaStore.syncDirectory(dir) }
        return thawed
    }
}
