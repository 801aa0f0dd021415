import FleetSystem
import FleetTestSupport
import Foundation
import Testing

@Suite(.tags(.unit)) struct SubprocessTests {
    /// A program that fills its standard error pipe (64 KiB) before writing
    /// to standard output: a caller that reads standard output to its end
    /// first waits for it forever while it waits for room on standard error.
    @Test func aChattyStandardErrorDoesNotDeadlockTheCaller() throws {
        let script = "head -c 1000000 /dev/zero | tr '\\0' e >&2; echo done"
        // On a thread of its own with a watchdog, so that a runner that
        // blocks on one pipe fails this test instead of hanging the run.
        let result = Locked<Result<SubprocessOutput, SystemError>?>(nil)
        let finished = DispatchSemaphore(value: 0)
        Thread {
            let r = Result { () throws(SystemError) in try Subprocess.run(["/bin/sh", "-c", script], timeout: .seconds(20)) }
            result.withLock { $0 = r }
            finished.signal()
        }.start()
        guard finished.wait(timeout: .now() + 30) == .success else {
            Issue.record("the runner deadlocked on a full standard error pipe")
            return
        }
        let out = try #require(try result.withLock { $0 }?.get())
        #expect(!out.timedOut, "the caller stopped draining a pipe")
        #expect(out.status == 0)
        #expect(out.stdoutText == "done\n")
        #expect(out.stderr.count == 1_000_000)
        #expect(out.stderr.allSatisfy { $0 == UInt8(ascii: "e") })
    }

    @Test func aChattyStandardOutputWithStandardErrorBothArrive() throws {
        let script = "echo first >&2; head -c 300000 /dev/zero; echo last >&2"
        let out = try Subprocess.run(["/bin/sh", "-c", script], timeout: .seconds(20))
        #expect(out.succeeded)
        #expect(out.stdout.count == 300_000)
        #expect(out.stderrText == "first\nlast\n")
    }

    @Test func aProgramPastItsDeadlineIsKilled() throws {
        let started = Date()
        let out = try Subprocess.run(["/bin/sleep", "30"], timeout: .milliseconds(300))
        #expect(out.timedOut)
        #expect(!out.succeeded)
        #expect(out.status == 128 + SIGKILL)
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func exitStatusAndMergedOutputInTheOrderWritten() throws {
        let out = try Subprocess.run(["sh", "-c", "echo one; echo two >&2; echo three; exit 3"], mergeStandardError: true)
        #expect(out.status == 3)
        #expect(out.stdoutText == "one\ntwo\nthree\n")
        #expect(out.stderr.isEmpty)
    }

    @Test func theEnvironmentIsTheOneGivenAndStandardInputIsEmpty() throws {
        let out = try Subprocess.run(["/bin/sh", "-c", "echo \"$GREETING\"; cat"], environment: ["GREETING": "hello", "PATH": "/usr/bin:/bin"])
        #expect(out.stdoutText == "hello\n")
    }

    @Test func aMissingProgramIsAnErrorThatNamesIt() {
        let error = #expect(throws: SystemError.self) { try Subprocess.run(["/nonexistent/program"]) }
        #expect(error?.errno == ENOENT)
        #expect(error?.description.contains("/nonexistent/program") == true)
    }

    @Test func noDescriptorOfTheCallerLeaksIntoTheChild() throws {
        let fd = open("/dev/null", O_RDONLY)
        defer { close(fd) }
        let out = try Subprocess.run(["/bin/ls", "/proc/self/fd"])
        let open = out.stdoutText.split(separator: "\n").compactMap { Int32($0) }
        // 0-2, and the directory ls is reading.
        #expect(!open.contains(fd), "\(open)")
        #expect(open.count <= 4, "\(open)")
    }
}
