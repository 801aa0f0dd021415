import FleetAgent
import FleetKernel
import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

extension AgentIntegration {
    /// Unmodified Debian (debootstrap, once per run) under its own init.
    @Suite struct DebianBoot {
        static let template = "deb"

        func withDebianAgent(_ body: (TestAgent) throws -> Void) throws {
            let rootfs = try DebianTestTemplate.rootfs(agentBinary: TestAgent.binary)
            try withTestAgent(buildTemplate: false) { t in
                let info = try t.agent.importTemplate(name: Self.template, path: rootfs)
                // sysvinit-core owns /sbin/init and /etc/inittab.
                #expect(info.initStyle == .sysv)
                try body(t)
            }
        }

        /// Polls a command in the guest until its output (trimmed) is one of `wanted`.
        func waitFor(_ t: TestAgent, _ guest: String, _ script: String, _ wanted: Set<String>, seconds: Double = 60) -> String {
            var last = ""
            _ = eventually(seconds) {
                last = ((try? t.run(guest, script, timeout: 10))?.stdout ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                return wanted.contains(last)
            }
            return last
        }

        /// Nothing of a stopped guest is left on the host: processes, cgroups, mounts.
        func expectNothingLeft(_ t: TestAgent, _ guest: String) throws {
            #expect(!t.agent.cgroup(of: guest).exists, "cgroup of \(guest) left")
            let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
            #expect(!mounts.contains(t.agent.paths.guest(guest)))
            #expect(t.agent.list().first { $0.name == guest }?.state == .stopped)
        }

        /// A host process told apart from a later one that reuses its pid.
        struct HostProcess: Hashable {
            let pid: Int32
            let startTime: UInt64
        }

        /// Host processes whose real uid is in `range` and that sit in the
        /// cgroup at `relativePath` or below it (in any hierarchy). Every
        /// agent on this machine numbers its contexts from the same first
        /// id, so the test cluster's agents hand out the same host id ranges
        /// as this one: the cgroup, not the uid, says whose guest it is.
        static func processes(ownedBy range: Range<UInt32>, inCgroup relativePath: String) -> Set<HostProcess> {
            let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
            return Set(pids.compactMap { pid -> HostProcess? in
                guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }),
                      let uid = line.split(separator: "\t").dropFirst().first.flatMap({ UInt32($0) }),
                      range.contains(uid),
                      let cgroups = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8),
                      cgroups.split(separator: "\n").contains(where: { line in
                          let path = line.split(separator: ":", maxSplits: 2).last.map(String.init) ?? ""
                          return path == "/" + relativePath || path.hasPrefix("/" + relativePath + "/")
                      }),
                      // Field 22, counted after the parenthesised command name.
                      let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                      let fields = stat.split(separator: ")").last?.split(separator: " "),
                      fields.count > 19, let start = UInt64(fields[19]) else { return nil }
                return HostProcess(pid: pid, startTime: start)
            })
        }

        /// Which of `processes` still exist (same pid, same start time).
        static func survivors(of processes: Set<HostProcess>) -> Set<HostProcess> {
            processes.filter { p in
                guard let stat = try? String(contentsOfFile: "/proc/\(p.pid)/stat", encoding: .utf8),
                      let fields = stat.split(separator: ")").last?.split(separator: " "),
                      fields.count > 19 else { return false }
                return UInt64(fields[19]) == p.startTime
            }
        }

        @Test func sysvinitBootsToRunlevelTwoAndHaltsWithTelinit() throws {
            try withDebianAgent { t in
                try t.makeGuest("sysv1", template: Self.template)
                let level = waitFor(t, "sysv1", "runlevel", ["N 2"])
                #expect(level == "N 2", "runlevel: \(level)")
                // The init's own daemons ran (rc2.d) and /run is the tmpfs an init expects.
                let r = try t.run("sysv1", "stat -f -c %T /run; cat /proc/1/cmdline | tr '\\0' ' '")
                #expect(r.stdout.hasPrefix("tmpfs\n"), "\(r.stdout)")
                #expect(r.stdout.contains("init [2]"), "\(r.stdout)")
                let stopped = try t.agent.stop("sysv1", timeout: 30)
                let report = try #require(stopped.stop)
                #expect(report.request == "telinit 0")
                #expect(report.clean, "\(report.summary)")
                #expect(report.seconds < 30)
                try expectNothingLeft(t, "sysv1")
                // Boot and the runlevel-0 scripts, in order, on the console.
                let console = String(decoding: try Data(contentsOf: URL(fileURLWithPath: t.agent.paths.guestConsoleLog("sysv1"))), as: UTF8.self)
                let boot = console.range(of: "INIT: Entering runlevel: 2"), halt = console.range(of: "Will now halt")
                #expect(boot != nil && halt != nil && boot!.lowerBound < halt!.lowerBound, "\(console.suffix(400))")
            }
        }

        @Test func systemdRunsInItsUserNamespaceServesNginxAndHalts() throws {
            try withDebianAgent { t in
                try t.makeGuest("sd1", template: Self.template, initCommand: DebianTestTemplate.systemdInit, initStyle: .systemd)
                let status = try t.agent.status("sd1")
                let range = try #require(status.hostIDs, "a systemd guest gets a user namespace by default")
                let base = try #require(range.split(separator: "-").first.flatMap { UInt32($0) })
                let state = waitFor(t, "sd1", "systemctl is-system-running", ["running", "degraded"])
                let failedNow = (try? t.run("sd1", "systemctl --failed --no-legend").stdout) ?? ""
                #expect(state == "running", "state \(state): \(failedNow)")
                let failed = try t.run("sd1", "systemctl --failed --no-legend --plain").stdout
                #expect(failed.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "failed units: \(failed)")

                // What systemd was promised: its user namespace, a private
                // cgroup2 view, a tmpfs /run, container=vfleet.
                let facts = try t.run("sd1", """
                    tr -s ' ' < /proc/self/uid_map; stat -f -c %T /sys/fs/cgroup; stat -f -c %T /run
                    cat /proc/1/cgroup; systemd-detect-virt
                    """).stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                // init's environment, read from the host: a command entered
                // into a guest on the host's network is in a Landlock domain
                // beside init's, which keeps it from init's /proc/1/environ.
                let initPid = try #require(try t.agent.status("sd1").initPid)
                let environ = try String(contentsOfFile: "/proc/\(initPid)/environ", encoding: .utf8)
                #expect(environ.split(separator: "\0").contains("container=vfleet"))
                #expect(facts.first == "0 \(base) 65536", "\(facts)")
                #expect(facts.dropFirst().first == "cgroup2fs")
                #expect(facts.dropFirst(2).first == "tmpfs")
                // On a hybrid host the v1 hierarchies are listed too; systemd uses the v2 one.
                #expect(facts.contains("0::/init.scope"), "\(facts)")
                #expect(facts.last == "container-other")

                // A service from a Debian package, installed with apt-get in
                // the running guest, started by systemd, answering on port 80
                // of the host's network (the guest's NET_BIND_SERVICE is its
                // own; the cgroup's bind hook honours it).
                let install = try t.run("sd1", "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx 2>&1 | tail -3",
                                        timeout: 300)
                #expect(install.exitCode == 0, "\(install.stdout)")
                #expect(waitFor(t, "sd1", "systemctl is-active nginx", ["active"], seconds: 30) == "active")
                let page = try HTTPProbe.get(host: "127.0.0.1", port: 80)
                #expect(page.contains("Welcome to nginx"), "\(page.prefix(200))")
                // Files the guest made belong on the host to its mapped ids.
                var st = stat()
                #expect(stat(t.agent.paths.guestUpper("sd1") + "/etc/nginx/nginx.conf", &st) == 0)
                #expect(st.st_uid == base && st.st_gid == base)

                // The guest's own processes on the host (systemd, journald,
                // nginx, ...), to look for once it has stopped.
                let ids = base..<(base + 65536)
                let cgroupPath = t.agent.cgroup(of: "sd1").relativePath
                let running = Self.processes(ownedBy: ids, inCgroup: cgroupPath)
                #expect(running.count >= 3, "guest processes found on the host: \(running)")

                let stopped = try t.agent.stop("sd1", timeout: 30)
                let report = try #require(stopped.stop)
                #expect(report.request == "SIGRTMIN+3")
                #expect(report.clean, "\(report.summary)")
                try expectNothingLeft(t, "sd1")
                #expect(throws: (any Error).self) { try HTTPProbe.get(host: "127.0.0.1", port: 80) }
                // systemd's own messages on its console: up, then halted.
                let console = String(decoding: try Data(contentsOf: URL(fileURLWithPath: t.agent.paths.guestConsoleLog("sd1"))), as: UTF8.self)
                #expect(console.contains("Detected virtualization container-other"), "\(console.prefix(400))")
                #expect(console.contains("Halting system"), "\(console.suffix(400))")
                // None of the guest's processes is left on the host, and none of its ids sits in its cgroup.
                #expect(Self.survivors(of: running).isEmpty, "left running: \(Self.survivors(of: running))")
                #expect(Self.processes(ownedBy: ids, inCgroup: cgroupPath).isEmpty)

                // And it boots again from what it left.
                _ = try t.agent.start("sd1")
                #expect(waitFor(t, "sd1", "systemctl is-active nginx", ["active"]) == "active")
                _ = try t.agent.stop("sd1", timeout: 30)
            }
        }

        @Test func execAndEnterGetALoginEnvironment() throws {
            try withDebianAgent { t in
                try t.makeGuest("env1", template: Self.template, initCommand: DebianTestTemplate.systemdInit, initStyle: .systemd)
                let r = try t.run("env1", "echo $HOME $SHELL $USER $LOGNAME $container; pwd; id -u")
                #expect(r.stdout == "/root /bin/bash root root vfleet\n/root\n0\n", "\(r.stdout)")
                // enter: root's shell from the guest's passwd, as a login shell.
                let e = try t.cli(["enter", "env1"], stdin: "shopt -q login_shell && echo login; echo $0 $SHELL; exit 3\n")
                #expect(e.status == 3)
                #expect(e.stdout == "login\n/bin/bash /bin/bash\n", "\(e.stdout) \(e.stderr)")
            }
        }
    }
}
