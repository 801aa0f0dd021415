import FleetTree
import Foundation
import Glibc

/// A point refused for its digest, and the sync after it.
///
/// A delta sends the files whose size, mtime or attributes differ from the
/// standby's manifest (as rsync does). A file rewritten in the guest with
/// its size kept and its mtime put back (`touch -r`, `cp -p`, `rsync -t`
/// of a same-size file) looks unchanged, so the standby keeps its old
/// content; the digest check then refuses the point, rightly, and every
/// later sync would be refused the same way until that file changed again.
/// So a refusal leaves `replicas/NAME/.resend-files`, and the next sync
/// offers a manifest in which no file matches (an mtime no file can have):
/// the source sends every file once, deletions and directories as usual.
/// A committed point clears the mark.
extension ReplicaStore {
    static let resendMarker = ".resend-files"

    func resendMarkerFile(_ name: String) -> String { directory(name) + "/" + Self.resendMarker }

    /// Asks the next sync of `name` to resend every file.
    func markResend(_ name: String) {
        let fd = open(resendMarkerFile(name), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
    }

    func resendWanted(_ name: String) -> Bool {
        access(resendMarkerFile(name), F_OK) == 0
    }

    func clearResend(_ name: String) {
        unlink(resendMarkerFile(name))
    }

    /// `manifest` with every regular file's mtime made one no file has
    /// (nanoseconds are 0 to 999,999,999), so the delta selects them all.
    static func resendingEveryFile(_ manifest: [TreeManifestEntry]) -> [TreeManifestEntry] {
        manifest.map { entry in
            var entry = entry
            if entry.kind == .file { entry.mtimeNanoseconds = -1 }
            return entry
        }
    }
}
