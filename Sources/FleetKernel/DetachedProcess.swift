import CFleetShim
import Glibc

/// Starts a program that outlives its caller: own session, stdio on
/// /dev/null, no inherited descriptor, not the caller's child. For
/// background work an RPC or a command must not wait for (removing a
/// destroyed guest's tree, the controller's connection keeper).
public enum DetachedProcess {
    public static func spawn(_ argv: [String]) throws(KernelError) {
        precondition(!argv.isEmpty)
        let args = CStringArray(argv)
        let rc = args.withPointer { p in
            p.withMemoryRebound(to: UnsafeMutablePointer<CChar>?.self, capacity: argv.count + 1) { vf_spawn_detached(argv[0], $0) }
        }
        guard rc == 0 else {
            throw KernelError("start in the background", argv[0], errno: rc < 0 ? -rc : EIO)
        }
    }
}
