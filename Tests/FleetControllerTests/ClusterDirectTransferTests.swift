@testable import FleetController
import FleetProtocol
import FleetTree
import Foundation
import Glibc
import Testing

extension ClusterTests {
    /// Moves whose layer goes straight from the source's agent to the
    /// destination's (issue 18): the controller authorizes, carries nothing.
    @Suite struct DirectTransferCluster {
        @Test func aDirectMoveCarriesNoneOfTheLayerThroughTheController() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                c.moveTransport.mode = .direct
                var r = Controller.GuestRequest(spec: GuestSpec(name: "dm1", template: "busybox", userNamespace: false))
                r.host = "host1"
                _ = try c.createGuest(r)
                try Migration.populate(c, cluster, "dm1", host: "host1", megabytes: 8)
                _ = try c.stopGuest("dm1", timeout: 5)
                let before = try Migration.layerDigest(cluster.upper("host1", "dm1"))
                _ = try c.startGuest("dm1")
                let relayedBefore = LayerRelay.relayedBytes.load(ordering: .relaxed)
                let result = try c.moveGuest("dm1", to: "host2", keepSource: true)
                // Nothing of the guest's layer passed through this process.
                #expect(LayerRelay.relayedBytes.load(ordering: .relaxed) == relayedBefore)
                #expect(result.precopyBytes > 8 << 20)
                // host2 lacked the template: it came from host1 too (DirectTemplateCluster).
                #expect(result.transports == ["template: direct from host1", "precopy: direct", "delta: direct"])
                #expect(try cluster.runningOn(c, "dm1") == ["host2"])
                _ = try c.stopGuest("dm1", timeout: 5)
                #expect(try Migration.layerDigest(cluster.upper("host2", "dm1")) == before)
                // The journal says which transport each copy step took (`ops show`).
                let steps = try c.store.steps(of: result.operation)
                #expect(steps.filter { $0.state == "transport" }.map { "\($0.step) \($0.detail ?? "")" } == ["template direct from host1", "precopy direct", "delta direct"])
                // The destination's agent logged what it accepted.
                let log = try String(contentsOfFile: cluster.state.hosts[1].stateDirectory + "/transfer.log", encoding: .utf8)
                #expect(log.contains("accepted the connection from \(cluster.state.hosts[0].address)"))
            }
        }

        @Test func withRelayTheBytesGoThroughTheController() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                c.moveTransport.mode = .relay
                var r = Controller.GuestRequest(spec: GuestSpec(name: "rm1", template: "busybox"))
                r.host = "host1"
                _ = try c.createGuest(r)
                _ = try c.execGuest("rm1", argv: ["/bin/sh", "-c", "head -c 3000000 /dev/urandom > /blob"], timeout: 60)
                let relayedBefore = LayerRelay.relayedBytes.load(ordering: .relaxed)
                let result = try c.moveGuest("rm1", to: "host2")
                #expect(LayerRelay.relayedBytes.load(ordering: .relaxed) - relayedBefore >= 3_000_000)
                #expect(result.transports?.prefix(2) == ["template: relay", "precopy: relay"])
                // The command line: --transport, the move's line, and `ops show`.
                let moved = try cluster.cli(["guest", "move", "rm1", "--to", "host1", "--transport", "direct"])
                #expect(moved.status == 0, "\(moved.err)")
                #expect(moved.out.contains("precopy: direct, delta: direct"), "\(moved.out)")
                let op = try #require(try c.store.operations().compactMap(\.id).max())
                let shown = try cluster.cli(["ops", "show", "\(op)"])
                #expect(shown.out.components(separatedBy: "\n").filter { $0.contains(" transport direct") }.count == 2, "\(shown.out)")
                let refused = try cluster.cli(["guest", "move", "rm1", "--to", "host2", "--transport", "sideways"])
                #expect(refused.status != 0)
            }
        }

        @Test(arguments: [0, 1]) func anAgentKilledMidStreamRollsBackWithTheGuestRunningAtTheSource(killed host: Int) throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                c.moveTransport.mode = .direct
                var r = Controller.GuestRequest(spec: GuestSpec(name: "kd", template: "busybox"))
                r.host = "host1"
                _ = try c.createGuest(r)
                _ = try c.execGuest("kd", argv: ["/bin/sh", "-c", "for i in $(seq 1 40); do head -c 4000000 /dev/urandom > /f$i; done"], timeout: 120)
                _ = try c.stopGuest("kd", timeout: 5)
                let original = try Migration.layerDigest(cluster.upper("host1", "kd"))
                _ = try c.startGuest("kd")
                let victim = cluster.state.hosts[host]
                let staging = cluster.state.hosts[1].stateDirectory + "/guests/.incoming-kd/upper"
                // Once files arrive at the destination, the agent that sends
                // them (host 0) or receives them (host 1) is killed: the one
                // holding a socket (its stdin and stdout are pipes to sshd).
                let killed = Self.midStream(staging) {
                    for pid in Self.descendants(of: victim.sshdPid) where Self.isAgent(pid) && Self.holdsSocket(pid) { kill(pid, SIGKILL) }
                }
                do throws(FleetError) {
                    _ = try c.moveGuest("kd", to: "host2")
                    Issue.record("the move survived the death of host\(host + 1)'s agent")
                } catch {
                    #expect(error.message.contains("rolled back"), "\(error.message)")
                }
                #expect(killed.fired)
                let fresh = try cluster.controller()
                #expect(try cluster.runningOn(fresh, "kd") == ["host1"])
                #expect(try fresh.store.placement(of: "kd")?.host == "host1")
                #expect(!cluster.stagingExists("host2", "kd"))
                _ = try fresh.stopGuest("kd", timeout: 5)
                #expect(try Migration.layerDigest(cluster.upper("host1", "kd")) == original)
            }
        }

        @Test func aDestinationWithNoFreeTransferPortRelaysInAutoAndFailsClearlyInDirect() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                let destination = cluster.state.hosts[1]
                // One transfer port, held by another program in the destination's network namespace.
                let config = destination.stateDirectory + "/agent.json"
                var json = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: config))) as? [String: Any])
                json["transferPorts"] = "7441-7441"
                try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: config))
                let holder = try Process.run(URL(fileURLWithPath: "/usr/bin/nsenter"), arguments: [
                    "--net=/run/netns/\(destination.namespace)", "python3", "-c",
                    "import socket,time; s=socket.socket(); s.bind(('0.0.0.0', 7441)); s.listen(); time.sleep(120)"])
                defer {
                    kill(holder.processIdentifier, SIGKILL)
                    holder.waitUntilExit()
                }
                usleep(500_000)
                var r = Controller.GuestRequest(spec: GuestSpec(name: "np", template: "busybox"))
                r.host = "host1"
                _ = try c.createGuest(r)
                _ = try c.execGuest("np", argv: ["/bin/sh", "-c", "head -c 2000000 /dev/urandom > /blob"], timeout: 60)

                c.moveTransport.mode = .direct
                do throws(FleetError) {
                    _ = try c.moveGuest("np", to: "host2")
                    Issue.record("a direct move went through with no free transfer port")
                } catch {
                    #expect(error.message.contains("no free transfer port in 7441-7441"), "\(error.message)")
                    #expect(error.message.contains("rolled back"), "\(error.message)")
                }
                #expect(try cluster.runningOn(c, "np") == ["host1"])
                #expect(!cluster.stagingExists("host2", "np"))

                c.moveTransport.mode = .auto
                let result = try c.moveGuest("np", to: "host2")
                let transports = result.transports ?? []
                #expect(transports.count == 3 && transports.allSatisfy { $0.contains("relay (direct failed:") && $0.contains("no free transfer port") },
                        "\(transports)")
                #expect(try cluster.runningOn(c, "np") == ["host2"])
                let steps = try c.store.steps(of: result.operation)
                #expect(steps.contains { $0.state == "transport" && ($0.detail ?? "").hasPrefix("relay (direct failed:") })
            }
        }

        static func descendants(of pid: Int32) -> [Int32] {
            var out: [Int32] = []
            var queue = [pid]
            while let p = queue.popLast() {
                let text = (try? String(contentsOfFile: "/proc/\(p)/task/\(p)/children", encoding: .utf8)) ?? ""
                let kids = text.split(separator: " ").compactMap { Int32($0) }
                out += kids
                queue += kids
            }
            return out
        }

        static func holdsSocket(_ pid: Int32) -> Bool {
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
            return fds.contains { ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)")) ?? "").hasPrefix("socket:") }
        }

        /// An agent serving an RPC session (not a guest, nor a console logger).
        static func isAgent(_ pid: Int32) -> Bool {
            let args = ((try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()).split(separator: 0)
                .map { String(decoding: $0, as: UTF8.self) }
            return (args.first ?? "").hasSuffix("vfleet-agent") && args.contains("rpc")
        }
    }
}
