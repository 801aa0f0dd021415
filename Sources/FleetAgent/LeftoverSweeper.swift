import FleetRootfs
import FleetTree
import Foundation
import Glibc

/// What a killed agent leaves in templates/: a staging directory of a build
/// or import (with the /proc and /sys that debootstrap mounted in it, for a
/// Debian build) and a half-received archive (`.incoming-*.tar`).
///
/// Whoever makes one holds an exclusive flock on it for as long as it works
/// there (``claim(_:)``); the kernel drops the lock when that process dies,
/// however it dies. A sweep removes only what nobody holds and what was not
/// modified for `grace` seconds: the grace covers the moment between making
/// an entry and locking it. Every build and import sweeps first.
enum LeftoverSweeper {
    static let stagingPrefix = ".staging-"
    static let incomingPrefix = ".incoming-"
    static let grace: Double = 60

    /// An open, flock-held descriptor of `path`; nil when another process
    /// holds it or it cannot be opened. The lock lasts until the value goes.
    static func claim(_ path: String) -> LeftoverClaim? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        return LeftoverClaim(fd: fd)
    }

    /// Removes abandoned staging directories and archives under `directory`,
    /// unmounting what is mounted below a directory first (never crossing into
    /// a mount while removing). Returns the paths it removed.
    @discardableResult
    static func sweep(_ directory: String, now: Double = Date().timeIntervalSince1970) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var removed: [String] = []
        for name in names where name.hasPrefix(stagingPrefix) || (name.hasPrefix(incomingPrefix) && name.hasSuffix(".tar")) {
            let path = directory + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0, now - Double(st.st_mtim.tv_sec) >= grace else { continue }
            guard let claim = claim(path) else { continue }
            if st.st_mode & S_IFMT == S_IFDIR {
                DebianRootfs.unmountBelow(path)
                // Never remove across a mount that stayed (the host's /proc).
                guard DebianRootfs.mountPoints(below: path).isEmpty else { continue }
                try? TreeRemover.remove(path)
            } else {
                unlink(path)
            }
            withExtendedLifetime(claim) {}
            removed.append(path)
        }
        return removed
    }
}

/// An flock held on an open descriptor, released with the value.
final class LeftoverClaim {
    private let fd: Int32

    init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }
}
