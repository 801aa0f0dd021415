import FleetProtocol
import Foundation

extension Controller {
    /// Refuses to replicate a guest whose replica could never run. A guest
    /// with `--disk` keeps its layer inside a loop-mounted ext4 image; a
    /// replica is kept as a directory, and `replica.promote` renames that
    /// directory into place (no copy, so failover takes no time per byte),
    /// which cannot make a disk image: the agent refuses such a promote.
    /// Saying so at `guest replicate` time spares the operator a replica
    /// that fails only when the host is already dead.
    static func checkReplicable(_ guest: StoredGuest) throws(FleetError) {
        if let disk = guest.spec.limits.diskBytes {
            throw .invalid("guest \(guest.name) has a disk of its own (--disk \(ByteSize.format(disk))): its replica could not be started "
                + "at failover (a replica is a directory; a --disk guest's layer is an ext4 image). Replicate a guest created without "
                + "--disk (re-create it without --disk and copy its data), or back up its disk image by other means")
        }
    }
}
