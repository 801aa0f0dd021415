import CFleetSystem
import Glibc

/// Starts a program that outlives its caller: own session, stdio on
/// /dev/null, no inherited descriptor, not the caller's child. For
/// background work an RPC or a command must not wait for (removing a
/// destroyed guest's tree, the controller's connection keeper).
public enum DetachedProcess {
    public static func spawn(_ argv: [String]) throws(SystemError) {
        precondition(!argv.isEmpty)
        let args = CStrings(argv)
        defer { args.free() }
        let rc = fleet_spawn_detached(argv[0], args.pointers)
        guard rc == 0 else { throw SystemError("start in the background", argv[0], errno: rc < 0 ? -rc : EIO) }
    }
}
