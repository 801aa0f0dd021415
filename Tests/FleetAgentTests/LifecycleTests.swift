import FleetAgent
import FleetKernel
import FleetProtocol
import Foundation
import Testing

extension AgentIntegration {
    @Suite struct Lifecycle {
        @Test func startStatusStopDestroy() throws {
            try withTestAgent { t in
                try t.makeGuest("life1", limits: GuestLimits(memoryBytes: 64 << 20, cpuMillis: 1000, pids: 64))
                let s = try t.agent.status("life1")
                #expect(s.state == .running)
                #expect(s.contextId == 100)
                #expect(s.initPid != nil)
                #expect(s.processes >= 1)
                #expect(s.memoryBytes != nil)
                #expect(s.limits.memoryBytes == 64 << 20)
                #expect(throws: FleetError.self) { _ = try t.agent.start("life1") }
                #expect(throws: FleetError.self) { try t.agent.destroy("life1", force: false) }
                let stopped = try t.agent.stop("life1", timeout: 5)
                #expect(stopped.state == .stopped)
                #expect(!t.agent.cgroup(of: "life1").exists)
                // Stopping a stopped guest is fine.
                _ = try t.agent.stop("life1", timeout: 1)
                _ = try t.agent.start("life1")
                _ = try t.agent.restart("life1", timeout: 5)
                #expect(try t.agent.status("life1").state == .running)
                try t.agent.destroy("life1", force: true)
                #expect(t.agent.list().isEmpty)
                #expect(!FileManager.default.fileExists(atPath: t.agent.paths.guest("life1")))
            }
        }

        @Test func destroyRemovesTheGuestAtOnceAndItsTreeInTheBackgroundWithLeftoversOfACrash() throws {
            try withTestAgent { t in
                try t.makeGuest("trash1", start: false)
                // Many files, so that removing them in place would be measurable.
                let upper = t.agent.paths.guestUpper("trash1")
                try FileManager.default.createDirectory(atPath: upper + "/data", withIntermediateDirectories: true)
                for i in 0..<2000 { _ = FileManager.default.createFile(atPath: upper + "/data/f\(i)", contents: Data("x".utf8)) }
                // A tree a crashed agent renamed but never removed.
                let leftover = t.agent.paths.guests + "/.trash-old-DEADBEEF"
                try FileManager.default.createDirectory(atPath: leftover + "/upper/a/b", withIntermediateDirectories: true)
                _ = FileManager.default.createFile(atPath: leftover + "/upper/a/b/file", contents: Data("y".utf8))
                // A symlink out of the tree: removal must not follow it.
                let outside = t.agent.paths.root + "/outside-\(getpid())"
                _ = FileManager.default.createFile(atPath: outside, contents: Data("keep".utf8))
                defer { try? FileManager.default.removeItem(atPath: outside) }
                try FileManager.default.createSymbolicLink(atPath: upper + "/link", withDestinationPath: outside)

                try t.agent.destroy("trash1", force: false)
                #expect(!t.agent.guests.exists("trash1"))
                #expect(!FileManager.default.fileExists(atPath: t.agent.paths.guest("trash1")))
                #expect(t.agent.list().isEmpty)
                let guests = t.agent.paths.guests
                #expect(eventually(20) {
                    ((try? FileManager.default.contentsOfDirectory(atPath: guests)) ?? ["?"]).filter { $0.hasPrefix(".trash-") }.isEmpty
                }, "trash trees stay: \((try? FileManager.default.contentsOfDirectory(atPath: guests)) ?? [])")
                #expect(FileManager.default.contents(atPath: outside) == Data("keep".utf8))
            }
        }

        @Test func stopLeavesNothingBehindEvenDoubleForkedTermIgnoringProcesses() throws {
            try withTestAgent { t in
                try t.makeGuest("stop1")
                _ = try t.run("stop1", """
                    (trap '' TERM; sh -c "trap '' TERM; while :; do sleep 1; done" &) &
                    (trap '' TERM HUP INT; exec sleep 1000) &
                    echo spawned
                    """)
                let cg = t.agent.cgroup(of: "stop1")
                #expect(eventually { cg.processes().count >= 4 })
                let pids = cg.processes()
                let started = Date()
                _ = try t.agent.stop("stop1", timeout: 1)
                #expect(Date().timeIntervalSince(started) < 5)
                #expect(cg.processes().isEmpty)
                #expect(!cg.exists)
                for pid in pids {
                    // Gone, or at most a zombie awaiting its reaper.
                    let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: ")").last?.split(separator: " ").first
                    #expect(state == nil || state == "Z", "pid \(pid) survived stop")
                }
            }
        }

        /// Every process that opens /dev/console by name (inits do) writes
        /// after what is there; stop returns once the last line is logged.
        @Test func theConsoleKeepsWhatEveryProcessWritesInOrder() throws {
            try withTestAgent { t in
                try t.makeGuest("con1")
                let tty = try t.run("con1", "test -c /dev/console && echo char; tty < /dev/console")
                #expect(tty.stdout.hasPrefix("char\n/dev/"), "\(tty.stdout)")
                for i in 1...3 { _ = try t.run("con1", "echo line\(i) > /dev/console") }
                _ = try t.run("con1", "printf 'last\\n' > /dev/console")
                _ = try t.agent.stop("con1", timeout: 10)
                let log = try String(contentsOfFile: t.agent.paths.guestConsoleLog("con1"), encoding: .utf8)
                let lines = log.split(separator: "\n").map(String.init)
                #expect(lines.filter { $0.hasPrefix("line") || $0 == "last" } == ["line1", "line2", "line3", "last"], "\(log)")
                #expect(lines.last == "vfleet-init: stopping", "\(log)")
                #expect(!log.contains("\r"))
            }
        }

        /// A getty hangs its terminal up (vhangup); the guest's console must
        /// still be read afterwards, or every later writer would block.
        @Test func theConsoleIsStillLoggedAfterAHangup() throws {
            try withTestAgent { t in
                try t.makeGuest("con2")
                struct Logger: Decodable { var pid: Int32 }
                let record = try JSONDecoder().decode(Logger.self, from: Data(contentsOf: URL(fileURLWithPath: t.root + "/guests/con2/console-logger.json")))
                let slave = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(record.pid)/fd/3")
                #expect(slave.hasPrefix("/dev/pts/"))
                _ = try t.run("con2", "echo before > /dev/console")
                // vhangup() from a session whose controlling terminal is the console.
                let hangup = Process()
                hangup.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
                hangup.arguments = ["/usr/bin/python3", "-c", """
                    import os, sys, fcntl, termios, ctypes, signal
                    signal.signal(signal.SIGHUP, signal.SIG_IGN)
                    fd = os.open(sys.argv[1], os.O_RDWR)
                    fcntl.ioctl(fd, termios.TIOCSCTTY, 0)
                    sys.exit(0 if ctypes.CDLL(None).vhangup() == 0 else 1)
                    """, slave]
                try hangup.run()
                hangup.waitUntilExit()
                #expect(hangup.terminationStatus == 0)
                // Many lines: more than a pty holds, so a console nobody reads would block here.
                let r = try t.run("con2", "i=0; while [ $i -lt 3000 ]; do echo after-the-hangup-$i > /dev/console; i=$((i+1)); done; echo done", timeout: 20)
                #expect(r.stdout == "done\n")
                _ = try t.agent.stop("con2", timeout: 10)
                let log = try String(contentsOfFile: t.agent.paths.guestConsoleLog("con2"), encoding: .utf8)
                #expect(log.contains("before\n"))
                #expect(log.contains("after-the-hangup-2999\n"))
            }
        }

        @Test func plainInitStopsCleanlyOnTerm() throws {
            try withTestAgent { t in
                try t.makeGuest("term1")
                let started = Date()
                _ = try t.agent.stop("term1", timeout: 10)
                // The busybox init traps SIGTERM and exits: well within the timeout.
                #expect(Date().timeIntervalSince(started) < 3)
                let log = try String(contentsOfFile: t.agent.paths.guestConsoleLog("term1"), encoding: .utf8)
                #expect(log.contains("vfleet-init: term1 running"))
                #expect(log.contains("vfleet-init: stopping"))
            }
        }

        /// PID 1 ignores signals it has no handler for: an init stopped
        /// before it set up its trap must still get the signal once it can
        /// handle it, not wait out the whole timeout (seen under load).
        @Test func stopResendsTheSignalToAnInitThatWasNotReadyYet() throws {
            try withTestAgent { t in
                let slowInit = ["/bin/sh", "-c", "sleep 0.5; trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"]
                try t.makeGuest("late", initCommand: slowInit)
                let started = Date()
                _ = try t.agent.stop("late", timeout: 10)
                let took = Date().timeIntervalSince(started)
                #expect(took < 4, "stop took \(took) s")
                #expect(!t.agent.cgroup(of: "late").exists)
            }
        }

        @Test func stateSurvivesAnAgentCrash() throws {
            try withTestAgent { t in
                _ = try t.agent.create(GuestSpec(name: "crash1", template: TestAgent.template))
                // Another agent process starts it and exits, as a crashed agent would.
                let r = try t.cli(["start", "crash1"])
                #expect(r.status == 0, "\(r.stderr)")
                // A new agent instance reads the same state from disk and the kernel.
                let fresh = try Agent(paths: t.agent.paths)
                let s = try fresh.status("crash1")
                #expect(s.state == .running)
                #expect(s.initPid != nil)
                _ = try fresh.stop("crash1", timeout: 5)
                #expect(try t.agent.status("crash1").state == .stopped)
            }
        }

        /// Create copies nothing of the template (the benchmark shows the time):
        /// the guest's own layer starts empty and its directory stays tiny.
        @Test func createCopiesNothingOfTheTemplate() throws {
            try withTestAgent { t in
                _ = try t.agent.create(GuestSpec(name: "cheap", template: TestAgent.template))
                let upper = t.agent.paths.guestUpper("cheap")
                #expect(try FileManager.default.contentsOfDirectory(atPath: upper).isEmpty)
                let files = FileManager.default.enumerator(atPath: t.agent.paths.guest("cheap"))?.allObjects.count ?? 0
                // config.json, upper, work, rootfs.
                #expect(files == 4)
            }
        }

        @Test func autostartBootsOnlyMarkedGuests() throws {
            try withTestAgent { t in
                _ = try t.agent.create(GuestSpec(name: "auto1", template: TestAgent.template, autostart: true))
                _ = try t.agent.create(GuestSpec(name: "manual1", template: TestAgent.template))
                let outcome = t.agent.bootAutostart()
                #expect(outcome.done == ["auto1"])
                #expect(try t.agent.status("manual1").state == .stopped)
                let down = t.agent.shutdownAll(timeout: 5)
                #expect(down.done == ["auto1"])
                #expect(try t.agent.status("auto1").state == .stopped)
            }
        }

        @Test func startWaitReturnsInitsStatus() throws {
            try withTestAgent { t in
                _ = try t.agent.create(GuestSpec(name: "once", template: TestAgent.template, initCommand: ["/bin/sh", "-c", "exit 3"]))
                let r = try t.cli(["start", "once", "--wait"])
                #expect(r.status == 3)
                #expect(!t.agent.cgroup(of: "once").exists)
            }
        }
    }
}
