import FleetKernel
import FleetSystem
import FleetTree
import Foundation
import Glibc

/// Removes the trees of destroyed guests in the background.
///
/// Destroy renames a guest's directory to guests/.trash-NAME-ID (atomic: the
/// guest is gone at once), then this removes the tree in a detached process,
/// so that an RPC caller (a move's cleanup-source step, an evacuation) does
/// not wait for thousands of unlinks. A tree left by a crash or a reboot is
/// picked up by the next destroy, since every sweep takes all trash entries.
enum TrashCollector {
    static let prefix = ".trash-"

    /// The trash entries under `directory`.
    static func entries(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasPrefix(prefix) }
            .map { directory + "/" + $0 }
    }

    /// Starts one detached `rm -rf` for every trash entry in `directory`.
    /// rm never follows symlinks, stays on this file system and tolerates a
    /// concurrent remover of the same tree, so an overlapping sweep is harmless.
    /// Falls back to removing in place when no process can be started.
    static func sweep(_ directory: String) {
        let trash = entries(in: directory)
        guard !trash.isEmpty else { return }
        // Not our child and holding none of our descriptors: the RPC that
        // destroyed the guest answers at once.
        do {
            try DetachedProcess.spawn(["/bin/rm", "-rf", "--one-file-system", "--"] + trash)
            return
        } catch {}
        for path in trash { try? TreeRemover.remove(path) }
    }
}
