import FleetAgent
import FleetProtocol
import Foundation
import Testing

extension AgentIntegration {
    @Suite struct CLI {
        @Test func execConnectsStdioAndReturnsTheExitStatus() throws {
            try withTestAgent { t in
                try t.makeGuest("cli1")
                let r = try t.cli(["exec", "cli1", "--", "sh", "-c", "cat; echo err >&2; exit 7"], stdin: "hello\n")
                #expect(r.status == 7)
                #expect(r.stdout == "hello\n")
                #expect(r.stderr == "err\n")
                let missing = try t.cli(["exec", "cli1", "--", "no-such-command"])
                #expect(missing.status != 0)
                #expect(missing.stderr.contains("no-such-command"))
            }
        }

        @Test func enterGivesAShellInsideTheGuest() throws {
            try withTestAgent { t in
                try t.makeGuest("cli3")
                // Not a terminal here: the login shell reads its commands from stdin.
                let r = try t.cli(["enter", "cli3"], stdin: "hostname; echo $HOME; ls /proc | grep -c '^[0-9]'; exit 5\n")
                #expect(r.status == 5)
                let lines = r.stdout.split(separator: "\n")
                #expect(lines.first == "cli3")
                #expect(lines.dropFirst().first == "/root")
                #expect((Int(lines.last ?? "") ?? 99) < 10)
            }
        }

        @Test func aFailedDebianBuildSaysWhyAndLeavesNothing() throws {
            try withTestAgent(buildTemplate: false) { t in
                // An empty file:/ mirror: debootstrap starts, finds no Release file, fails.
                let mirror = t.root + "/empty-mirror"
                try FileManager.default.createDirectory(atPath: mirror, withIntermediateDirectories: true)
                let r = try t.cli(["template", "build", "debian", "nothing", "--mirror", "file://" + mirror])
                #expect(r.status != 0)
                #expect(r.stderr.contains("debootstrap bookworm from file://\(mirror) failed"), "\(r.stderr)")
                let left = try FileManager.default.contentsOfDirectory(atPath: t.agent.paths.templates)
                #expect(left.isEmpty, "\(left)")
                // Bad names never reach debootstrap's command line.
                let bad = try t.cli(["template", "build", "debian", "x", "--include", "nginx,--foreign"])
                #expect(bad.status != 0)
                #expect(bad.stderr.contains("is not a Debian package name"), "\(bad.stderr)")
                let misplaced = try t.cli(["template", "build", "busybox", "x", "--suite", "trixie"])
                #expect(misplaced.status != 0)
            }
        }

        @Test func listAndStatusInJSON() throws {
            try withTestAgent { t in
                try t.makeGuest("cli2", limits: GuestLimits(memoryBytes: 64 << 20))
                let r = try t.cli(["list", "--format", "json"])
                #expect(r.status == 0)
                let list = try JSONDecoder().decode([GuestStatus].self, from: Data(r.stdout.utf8))
                #expect(list.map(\.name) == ["cli2"])
                #expect(list.first?.state == .running)
                let s = try t.cli(["status", "cli2", "--format", "json"])
                let status = try JSONDecoder().decode(GuestStatus.self, from: Data(s.stdout.utf8))
                #expect(status.limits.memoryBytes == 64 << 20)
                let table = try t.cli(["list"])
                #expect(table.stdout.contains("cli2"))
                #expect(table.stdout.contains("running"))
            }
        }

        @Test func checkReportsThisHost() throws {
            try withTestAgent(buildTemplate: false) { t in
                let r = try t.cli(["check", "--format", "json"])
                let report = try JSONDecoder().decode(KernelCheckReport.self, from: Data(r.stdout.utf8))
                #expect(report.ok)
                #expect(r.status == 0)
                #expect(report.requirements.contains { $0.name == "overlayfs" && $0.verdict == .present })
                #expect(["v1", "v2", "hybrid"].contains(report.cgroupMode))
            }
        }

        @Test func unknownGuestIsAClearError() throws {
            try withTestAgent(buildTemplate: false) { t in
                let r = try t.cli(["start", "ghost"])
                #expect(r.status != 0)
                #expect(r.stderr.contains("unknown guest ghost"))
            }
        }
    }
}
