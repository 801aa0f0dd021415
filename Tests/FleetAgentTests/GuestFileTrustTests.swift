import FleetAgent
import FleetKernel
import FleetProtocol
import Foundation
import FleetSystem
import Glibc
import Synchronization
import Testing

/// Runs `body` on a thread of its own and waits up to `seconds`; nil when it
/// did not return in time (it is left running: the caller unblocks it).
func withDeadline<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () throws -> T) -> Result<T, any Error>? {
    let done = DispatchSemaphore(value: 0)
    let box = ResultBox<T>()
    Thread {
        box.set(Result { try body() })
        done.signal()
    }.start()
    guard done.wait(timeout: .now() + seconds) == .success else { return nil }
    return box.get()
}

final class ResultBox<T: Sendable>: Sendable {
    private let value = Mutex<Result<T, any Error>?>(nil)
    func set(_ v: Result<T, any Error>) { value.withLock { $0 = v } }
    func get() -> Result<T, any Error>? { value.withLock { $0 } }
}

extension AgentIntegration {
    /// What a guest's root puts where the agent reads or runs something of
    /// the guest's must not hang, mislead or block the agent.
    @Suite struct GuestFileTrust {
        /// What a guest's root may put at /etc/passwd (or /etc), which every
        /// exec reads for root's home and shell.
        enum PasswdAttack: String, CaseIterable, Sendable {
            case fifo, linkToHostFile, etcLinkToHostDirectory, hugeFile
        }

        @Test(arguments: PasswdAttack.allCases, [false, true])
        func execWorksPromptlyWhateverTheGuestPutsAtEtcPasswd(_ attack: PasswdAttack, userns: Bool) throws {
            try withTestAgent { t in
                // A host directory with a passwd whose root has a home only
                // the host knows: seen from an exec, the host's file was read.
                let hostDir = "/var/tmp/vfleet-hostetc-\(UUID().uuidString.prefix(8))"
                try FileManager.default.createDirectory(atPath: hostDir, withIntermediateDirectories: false)
                defer { try? FileManager.default.removeItem(atPath: hostDir) }
                try "root:x:0:0:root:/host-leak:/bin/sh\n".write(toFile: hostDir + "/passwd", atomically: true, encoding: .utf8)
                try t.makeGuest("pw1", userns: userns)
                let setup: String
                switch attack {
                case .fifo: setup = "rm -f /etc/passwd && mkfifo /etc/passwd"
                case .linkToHostFile: setup = "rm -f /etc/passwd && ln -s \(hostDir)/passwd /etc/passwd"
                case .etcLinkToHostDirectory: setup = "mv /etc /etc.old && ln -s \(hostDir) /etc"
                case .hugeFile:
                    // 2 GiB (sparse), with a valid root line first.
                    setup = "echo 'root:x:0:0:root:/huge-home:/bin/sh' > /etc/passwd && dd if=/dev/zero of=/etc/passwd bs=1 count=1 seek=2147483647 conv=notrunc 2>/dev/null"
                }
                let prepared = try t.run("pw1", setup)
                try #require(prepared.exitCode == 0, "\(prepared.stderr)")
                let agent = t.agent
                let started = Monotonic.now
                let outcome = withDeadline(10) {
                    try agent.execCaptured(GuestExecParams(name: "pw1", argv: ["/bin/sh", "-c", "echo $HOME"], timeoutSeconds: 10))
                }
                let seconds = Monotonic.now - started
                if outcome == nil, attack == .fifo, let pid = agent.initPid(of: "pw1") {
                    // Unblock the agent's reader so that the test can end.
                    let fd = open("/proc/\(pid)/root/etc/passwd", O_WRONLY | O_NONBLOCK)
                    if fd >= 0 { close(fd) }
                }
                let result = try #require(try outcome?.get(), "exec did not return within 10 s (\(attack))")
                #expect(result.exitCode == 0)
                #expect(seconds < 5, "exec took \(seconds) s")
                // The fallback home: nothing of the host's, nothing unbounded.
                #expect(result.stdout == "/root\n", "\(attack): HOME was \(result.stdout)")
            }
        }

        /// A telinit that never returns: stop ends at its timeout, and
        /// meanwhile another guest is created, started, run and stopped.
        @Test func aHungTelinitNeitherHangsStopNorBlocksOtherGuests() throws {
            try withTestAgent { t in
                // An init that ignores its stop signals, and a telinit that never returns.
                try t.makeGuest("hang1", initCommand: ["/bin/sh", "-c", "trap '' TERM INT PWR HUP; while :; do sleep 1; done"], initStyle: .sysv)
                let prepared = try t.run("hang1", "rm -f /sbin/telinit && printf '#!/bin/sh\\nexec sleep 100000\\n' > /sbin/telinit && chmod 755 /sbin/telinit")
                try #require(prepared.exitCode == 0, "\(prepared.stderr)")
                let agent = t.agent
                let timeout = 4.0
                let started = Monotonic.now
                let stopEnd = ResultBox<Double>()
                let stopper = DispatchSemaphore(value: 0)
                Thread {
                    stopEnd.set(Result { _ = try agent.stop("hang1", timeout: timeout); return Monotonic.now })
                    stopper.signal()
                }.start()
                // Give stop the time to start telinit.
                #expect(eventually(2) { (try? agent.run("hang1", "ps -o args | grep -x 'sleep 100000'").stdout.isEmpty == false) ?? false })
                let other = withDeadline(20) { () throws -> Double in
                    _ = try agent.create(GuestSpec(name: "other1", template: TestAgent.template))
                    _ = try agent.start("other1")
                    let r = try agent.execCaptured(GuestExecParams(name: "other1", argv: ["/bin/echo", "ok"], timeoutSeconds: 10))
                    guard r.stdout == "ok\n" else { throw FleetError.failed("exec in other1 said \(r.stdout)") }
                    _ = try agent.stop("other1", timeout: 5)
                    return Monotonic.now
                }
                let stopped = stopper.wait(timeout: .now() + timeout + 20) == .success
                if !stopped { try? agent.cgroup(of: "hang1").killAll(timeoutSeconds: 5) }
                #expect(stopped, "stop of the guest with a hung telinit did not end")
                let otherDone = try #require(try other?.get(), "create/start/exec/stop of another guest did not end while the hung guest stopped")
                let stopDone = try #require(try stopEnd.get()?.get())
                // The other guest was done while the first one was still stopping.
                #expect(otherDone < stopDone, "the other guest finished \(otherDone - started) s, the hung stop \(stopDone - started) s after the start")
                // Its timeout, then the kill: not much more.
                #expect(stopDone - started < timeout + 5, "stop took \(stopDone - started) s with a timeout of \(timeout) s")
                #expect(!agent.cgroup(of: "hang1").isPopulated)
            }
        }

        /// A command that closes its output but keeps running still ends at
        /// its timeout: the exec does not wait for it beyond.
        @Test func execEndsAtItsTimeoutWhenTheCommandClosesItsOutput() throws {
            try withTestAgent { t in
                try t.makeGuest("quiet1")
                let agent = t.agent
                let started = Monotonic.now
                let outcome = withDeadline(20) {
                    try agent.execCaptured(GuestExecParams(name: "quiet1", argv: ["/bin/sh", "-c", "exec >/dev/null 2>&1; sleep 1000"], timeoutSeconds: 2))
                }
                if outcome == nil { try? agent.cgroup(of: "quiet1").killAll(timeoutSeconds: 5) }
                let result = try #require(try outcome?.get(), "exec did not end within 20 s")
                #expect(result.timedOut)
                #expect(Monotonic.now - started < 6)
                #expect(try t.run("quiet1", "ps -o args | grep -x 'sleep 1000' || echo none").stdout == "none\n")
            }
        }
    }
}

extension Agent {
    /// A shell command in a guest, for tests that hold only the agent.
    func run(_ guest: String, _ script: String) throws -> GuestExecResult {
        try execCaptured(GuestExecParams(name: guest, argv: ["/bin/sh", "-c", script], timeoutSeconds: 10))
    }
}
