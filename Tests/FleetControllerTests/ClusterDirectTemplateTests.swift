@testable import FleetController
import FleetProtocol
import FleetTree
import Foundation
import Glibc
import Testing

extension ClusterTests {
    /// A destination that lacks a guest's template gets it from a host that
    /// has it (the guest's source first), agent to agent, not from the
    /// controller (issue 18).
    @Suite struct DirectTemplateCluster {
        /// What host `host`'s templates directory holds besides `except`.
        static func templateEntries(_ cluster: TestCluster, _ host: Int) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: cluster.state.hosts[host].stateDirectory + "/templates")) ?? []).sorted()
        }

        @Test func aMoveBringsTheTemplateFromTheSourceWithNoByteThroughTheController() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                var r = Controller.GuestRequest(spec: GuestSpec(name: "tt1", template: "busybox", userNamespace: false))
                r.host = "host1"
                _ = try c.createGuest(r)
                let host2 = try c.store.host("host2")
                #expect(try c.connections.call(RPC.TemplateList(), on: host2).isEmpty)
                let template = try c.store.template("busybox")

                c.moveTransport.mode = .direct
                let uploadedBefore = TemplateUpload.sentBytes.load(ordering: .relaxed)
                let relayedBefore = LayerRelay.relayedBytes.load(ordering: .relaxed)
                let result = try c.moveGuest("tt1", to: "host2")
                // None of the template's (or the layer's) bytes passed through this process.
                #expect(TemplateUpload.sentBytes.load(ordering: .relaxed) == uploadedBefore)
                #expect(LayerRelay.relayedBytes.load(ordering: .relaxed) == relayedBefore)
                #expect(result.templateSent)
                #expect(result.transports?.first == "template: direct from host1", "\(result.transports ?? [])")
                #expect(try cluster.runningOn(c, "tt1") == ["host2"])
                // The same template at host2: what its agent says and what its tree is.
                let there = try #require(try c.connections.call(RPC.TemplateList(), on: host2).first { $0.name == "busybox" })
                #expect(there.digest == template.digest)
                #expect(try TreeDigester.digest(root: cluster.state.hosts[1].stateDirectory + "/templates/busybox/rootfs").digest == template.digest)
                #expect(Self.templateEntries(cluster, 1) == ["busybox"])
                // The journal says where the template came from (`ops show`).
                let steps = try c.store.steps(of: result.operation)
                #expect(steps.contains { $0.step == "template" && $0.state == "transport" && $0.detail == "direct from host1" })
                let log = try String(contentsOfFile: cluster.state.hosts[1].stateDirectory + "/transfer.log", encoding: .utf8)
                #expect(log.contains("accepted the connection from \(cluster.state.hosts[0].address); receiving template busybox"), "\(log)")
            }
        }

        @Test func aCorruptedTemplateTransferLeavesNoHalfTemplateAndAutoFallsBackToTheRelay() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                var r = Controller.GuestRequest(spec: GuestSpec(name: "tt2", template: "busybox", userNamespace: false))
                r.host = "host1"
                _ = try c.createGuest(r)
                let template = try c.store.template("busybox")
                // host1's template tree no longer matches its manifest (a
                // disk error, an edit on the host): it sends what it has,
                // and host2 must not keep it.
                let extra = cluster.state.hosts[0].stateDirectory + "/templates/busybox/rootfs/etc/corrupted"
                try Data("not in the template\n".utf8).write(to: URL(fileURLWithPath: extra))
                defer { unlink(extra) }

                c.moveTransport.mode = .direct
                let uploadedBefore = TemplateUpload.sentBytes.load(ordering: .relaxed)
                do throws(FleetError) {
                    _ = try c.moveGuest("tt2", to: "host2")
                    Issue.record("a move went on with a template whose digest did not match")
                } catch {
                    #expect(error.message.contains("arrived with digest"), "\(error.message)")
                    #expect(error.message.contains("rolled back"), "\(error.message)")
                }
                #expect(TemplateUpload.sentBytes.load(ordering: .relaxed) == uploadedBefore)
                #expect(try cluster.runningOn(c, "tt2") == ["host1"])
                // Nothing of the refused template at host2: no template, no staging directory.
                #expect(Self.templateEntries(cluster, 1) == [], "\(Self.templateEntries(cluster, 1))")
                #expect(try c.connections.call(RPC.TemplateList(), on: try c.store.host("host2")).isEmpty)

                // auto: the direct transfer fails the same way, the controller's archive goes instead, and says so.
                c.moveTransport.mode = .auto
                let result = try c.moveGuest("tt2", to: "host2")
                let how = try #require(result.transports?.first)
                #expect(how.hasPrefix("template: relay (direct failed: host1:") && how.contains("arrived with digest"), "\(how)")
                #expect(TemplateUpload.sentBytes.load(ordering: .relaxed) - uploadedBefore == template.archiveBytes)
                #expect(try c.connections.call(RPC.TemplateList(), on: try c.store.host("host2")).first?.digest == template.digest)
                let steps = try c.store.steps(of: result.operation)
                #expect(steps.contains { $0.step == "template" && $0.state == "transport" && ($0.detail ?? "").hasPrefix("relay (direct failed:") })
            }
        }

        @Test func aMoveKilledAtItsTemplateStepResumesAndBringsTheTemplateDirectly() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                var r = Controller.GuestRequest(spec: GuestSpec(name: "tt4", template: "busybox", userNamespace: false))
                r.host = "host1"
                _ = try c.createGuest(r)
                let killed = try cluster.cli(["guest", "move", "tt4", "--to", "host2", "--transport", "direct"],
                                             env: ["VFLEET_TEST_CRASH_AT_STEP": "template"])
                #expect(killed.status == 99, "\(killed.err)")
                let resumed = try cluster.cli(["ops", "resume"])
                #expect(resumed.status == 0, "\(resumed.out) \(resumed.err)")
                let fresh = try cluster.controller()
                #expect(try cluster.runningOn(fresh, "tt4") == ["host2"])
                // The resume (another process) kept the journaled transport: the template came from host1.
                let op = try #require(try fresh.store.operations().compactMap(\.id).max())
                let steps = try fresh.store.steps(of: op)
                #expect(steps.contains { $0.step == "template" && $0.state == "transport" && $0.detail == "direct from host1" },
                        "\(steps.map { "\($0.step) \($0.state) \($0.detail ?? "")" })")
                let digest = try fresh.store.template("busybox").digest
                #expect(try fresh.connections.call(RPC.TemplateList(), on: try fresh.store.host("host2")).first?.digest == digest)
            }
        }

        @Test func templatePushSendsFromAHostThatHasItOrFromTheControllerWithRelay() throws {
            try withCluster(hosts: 3) { cluster in
                let c = try cluster.busyboxController()
                var r = Controller.GuestRequest(spec: GuestSpec(name: "tt3", template: "busybox", userNamespace: false))
                r.host = "host1"
                _ = try c.createGuest(r)
                // In this process, so that its upload counter proves the bytes went host to host.
                let uploadedBefore = TemplateUpload.sentBytes.load(ordering: .relaxed)
                let direct = try #require(try c.pushTemplate("busybox", to: ["host2"]).first)
                #expect(direct.error == nil && direct.sent && direct.transport == "direct from host1", "\(direct)")
                #expect(TemplateUpload.sentBytes.load(ordering: .relaxed) == uploadedBefore)
                let relayed = try cluster.cli(["template", "push", "busybox", "--host", "host3", "--transport", "relay"])
                #expect(relayed.status == 0, "\(relayed.err)")
                #expect(relayed.out.contains("host3: sent") && relayed.out.hasSuffix("; relay\n"), "\(relayed.out)")
                let digest = try c.store.template("busybox").digest
                for host in ["host2", "host3"] {
                    #expect(try c.connections.call(RPC.TemplateList(), on: try c.store.host(host)).first?.digest == digest)
                }
            }
        }
    }
}
