import FleetAgent
import FleetProtocol
import Foundation
import Testing

extension AgentIntegration {
    @Suite struct BadInput {
        /// A snapshot of everything under the state root, to prove that a
        /// refused request changed nothing.
        static func snapshot(_ root: String) -> [String] {
            (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { $0 != "agent.lock" }.sorted()
        }

        @Test func badCreateRequestsChangeNothing() throws {
            try withTestAgent { t in
                let before = Self.snapshot(t.root)
                let cases: [(GuestSpec, String)] = [
                    (GuestSpec(name: "../x", template: TestAgent.template), "invalid guest name"),
                    (GuestSpec(name: "A", template: TestAgent.template), "invalid guest name"),
                    (GuestSpec(name: String(repeating: "a", count: 64), template: TestAgent.template), "64 characters"),
                    (GuestSpec(name: "ok1", template: "nosuch"), "unknown template nosuch"),
                    (GuestSpec(name: "ok1", template: TestAgent.template, limits: GuestLimits(memoryBytes: 3 << 20)), "below the minimum of 4M"),
                    (GuestSpec(name: "ok1", template: TestAgent.template, capAdd: ["BOGUS"]), "unknown capability"),
                    (GuestSpec(name: "ok1", template: TestAgent.template, initCommand: ["sbin/init"]), "absolute path"),
                    (GuestSpec(name: "ok1", template: TestAgent.template, initStyle: .systemd, userNamespace: false),
                     "systemd needs CAP_SYS_ADMIN"),
                ]
                for (spec, message) in cases {
                    do throws(FleetError) {
                        _ = try t.agent.create(spec)
                        Issue.record("accepted \(spec.name)")
                    } catch {
                        #expect(error.message.contains(message), "\(error.message)")
                    }
                    #expect(Self.snapshot(t.root) == before)
                }
            }
        }

        @Test func cliRefusesUnparsableMemory() throws {
            try withTestAgent { t in
                let before = Self.snapshot(t.root)
                let r = try t.cli(["create", "m1", "--template", TestAgent.template, "--memory", "lots"])
                #expect(r.status != 0)
                #expect(r.stderr.contains("cannot read memory limit \"lots\""))
                let r2 = try t.cli(["create", "m1", "--template", TestAgent.template, "--memory", "2M"])
                #expect(r2.status != 0)
                #expect(r2.stderr.contains("below the minimum of 4M"))
                #expect(Self.snapshot(t.root) == before)
            }
        }

        @Test func badArchivesAreRefusedAndLeaveNoTemplate() throws {
            try withTestAgent(buildTemplate: false) { t in
                let dir = t.root + "/archives"
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                let cases: [(String, [TarFixture.Member], String)] = [
                    ("dotdot", [.file("../evil", "x")], ".."),
                    ("device", [.charDevice("dev/mem", 1, 1)], "device"),
                    ("abslink", [.symlink("escape", "/../../etc/shadow")], "escape"),
                    ("hardlink", [.hardlink("passwd", "/etc/passwd")], "passwd"),
                ]
                for (name, members, word) in cases {
                    let path = dir + "/\(name).tar"
                    try TarFixture.write(members, to: path)
                    let before = Self.snapshot(t.agent.paths.templates)
                    do throws(FleetError) {
                        _ = try t.agent.importTemplate(name: name, path: path)
                        Issue.record("imported \(name)")
                    } catch {
                        #expect(error.message.contains(word), "\(error.message)")
                        #expect(error.code == .invalidArgument)
                    }
                    #expect(Self.snapshot(t.agent.paths.templates) == before)
                    #expect(!t.agent.templates.exists(name))
                }
            }
        }

        @Test func templateInUseCannotBeRemoved() throws {
            try withTestAgent { t in
                _ = try t.agent.create(GuestSpec(name: "user1", template: TestAgent.template))
                do throws(FleetError) {
                    try t.agent.removeTemplate(TestAgent.template)
                    Issue.record("removed a template in use")
                } catch {
                    #expect(error.code == .conflict)
                    #expect(error.message.contains("user1"))
                }
                try t.agent.destroy("user1", force: false)
                try t.agent.removeTemplate(TestAgent.template)
                #expect(t.agent.templates.list().isEmpty)
            }
        }
    }
}
