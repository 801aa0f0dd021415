@testable import FleetController
import FleetProtocol
import Foundation
import Testing

extension ClusterTests {
    @Suite struct Placement {
        @Test func enrolRefusesAnUnknownKeyThenAcceptsItExplicitly() throws {
            try withCluster(hosts: 1) { cluster in
                let c = try cluster.controller()
                let h = cluster.state.hosts[0]
                let r = Controller.HostRequest(name: "host1", address: h.address)
                do throws(FleetError) {
                    _ = try c.addHost(r)
                    Issue.record("an unknown host key was accepted")
                } catch {
                    #expect(error.code == .unreachable)
                    #expect(error.message.contains("unknown"))
                }
                #expect(try c.store.hosts().isEmpty)
                let known = try String(contentsOfFile: cluster.state.knownHostsFile, encoding: .utf8)
                #expect(known.isEmpty)
                var accept = r
                accept.acceptNewHostKey = true
                let host = try c.addHost(accept)
                #expect(host.facts?.cgroupMode != nil)
                #expect(host.hostKeyFingerprint.hasPrefix("SHA256:"))
                // Now known: a strict connection from a new controller works.
                let again = try cluster.controller()
                #expect(try again.refreshHost("host1").facts != nil)
                // A duplicate is refused.
                #expect(throws: FleetError.self) { _ = try again.addHost(accept) }
            }
        }

        @Test func thirtyGuestsUnderCapacityAndAntiAffinityRunWhereTheStoreSays() throws {
            try withCluster(hosts: 3) { cluster in
                let c = try cluster.controller()
                // Leave each host 800M for guests: the scheduler must spread.
                let probe = try Controller(dbPath: cluster.directory + "/probe.db", knownHosts: cluster.state.knownHostsFile, identity: cluster.state.identityFile)
                var r = Controller.HostRequest(name: "probe", address: cluster.state.hosts[0].address)
                r.acceptNewHostKey = true
                let memory = try probe.addHost(r).facts!.memoryBytes
                try cluster.enrolAll(c, labels: { ["zone": $0 == 0 ? "a" : "b"] }, reserve: memory - (800 << 20))
                _ = try c.addTemplate(name: "busybox", path: nil, busybox: true)
                for i in 1...30 {
                    var g = Controller.GuestRequest(spec: GuestSpec(name: "g\(i)", template: "busybox", limits: GuestLimits(memoryBytes: 64 << 20)))
                    g.diskBytes = 16 << 20
                    if i <= 9 { g.group = "grp\((i - 1) / 3)" }   // three groups of three
                    if i == 10 || i == 11 { g.requires = ["zone": "b"] }
                    _ = try c.createGuest(g)
                }
                let placements = Dictionary(uniqueKeysWithValues: try c.store.placements().map { ($0.guest, $0.host) })
                #expect(placements.count == 30)
                // Capacity: at most 12 guests of 64M in 800M per host.
                for h in cluster.state.hosts {
                    let n = placements.values.filter { $0 == h.name }.count
                    #expect(n <= 12, "\(h.name) holds \(n)")
                    #expect(n >= 8, "spread should balance: \(h.name) holds \(n)")
                }
                // Anti-affinity: the three guests of each group on three hosts.
                for grp in 0..<3 {
                    let hosts = Set((1...3).map { placements["g\(grp * 3 + $0)"]! })
                    #expect(hosts.count == 3)
                }
                #expect(placements["g10"] != "host1" && placements["g11"] != "host1")
                // Every guest runs exactly where the store says, and nowhere else.
                for h in cluster.state.hosts {
                    let running = Set(try cluster.agentGuests(c, h.name).filter { $0.state == .running }.map(\.name))
                    let expected = Set(placements.filter { $0.value == h.name }.map(\.key))
                    #expect(running == expected)
                }
                // A guest too big for any host is refused with every host's reason, and nothing is recorded.
                do throws(FleetError) {
                    _ = try c.createGuest(Controller.GuestRequest(spec: GuestSpec(name: "huge", template: "busybox", limits: GuestLimits(memoryBytes: 900 << 20))))
                    Issue.record("placed a guest bigger than any host")
                } catch {
                    for h in cluster.state.hosts { #expect(error.message.contains(h.name)) }
                    #expect(error.message.contains("memory"))
                }
                #expect((try? c.store.guest("huge")) == nil)
            }
        }
    }
}
