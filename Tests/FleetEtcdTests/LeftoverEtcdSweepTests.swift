import FleetEtcdTestSupport
import FleetSystem
import FleetTestSupport
import Foundation
import Testing

/// The members a crashed run left are stopped by the next run, by pid, and
/// only those: a cluster whose test process lives is left alone.
@Suite(.tags(.unit)) struct LeftoverEtcdSweepTests {
    @Test func stopsTheMembersOfADeadRunOnly() throws {
        let dead = try TemporaryDirectory(prefix: "fleetetcd-test")
        let alive = try TemporaryDirectory(prefix: "fleetetcd-test")
        defer {
            dead.remove()
            alive.remove()
        }
        // A stand-in for a member (a process of ours), in each directory.
        let orphan = try ChildProcess("/bin/sleep", ["60"], stdout: "/dev/null", stderr: "/dev/null")
        let kept = try ChildProcess("/bin/sleep", ["60"], stdout: "/dev/null", stderr: "/dev/null")
        defer { kept.terminate(grace: 0) }
        // A test process that is gone: pid 1's start time can never match.
        try "1 not-a-start-time".write(toFile: dead.file("owner"), atomically: true, encoding: .utf8)
        try LeftoverEtcdSweep.mark(dead.path, member: "m0", pid: orphan.pid)
        try LeftoverEtcdSweep.mark(alive.path, owner: getpid())
        try LeftoverEtcdSweep.mark(alive.path, member: "m0", pid: kept.pid)

        LeftoverEtcdSweep.run()

        #expect(orphan.wait() == 128 + SIGKILL)
        #expect(!FileManager.default.fileExists(atPath: dead.path))
        #expect(!kept.hasExited)
        #expect(FileManager.default.fileExists(atPath: alive.file("m0.pid")))
    }
}
