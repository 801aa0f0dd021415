import FleetProtocol
import Foundation
import Glibc

/// Removes a directory tree without following symlinks (FileManager's
/// removal unlinks links, never their targets). Guests' upper layers may hold
/// directories of mode 000 (overlay's work dir): as root that is no obstacle.
enum TreeRemover {
    static func remove(_ path: String) throws(FleetError) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        do { try FileManager.default.removeItem(atPath: path) } catch {
            throw .failed("cannot remove \(path): \(error.localizedDescription)")
        }
    }
}
