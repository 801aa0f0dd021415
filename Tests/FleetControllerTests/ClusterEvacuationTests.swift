@testable import FleetController
import FleetProtocol
import Foundation
import Testing

extension ClusterTests {
    @Suite struct Evacuation {
        /// `vfleet host evacuate ... >log 2>&1`: the plan (stdout) comes
        /// before the first progress line (stderr), the result after.
        @Test func thePlanReachesAPipeBeforeTheFirstMove() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                for i in 1...2 {
                    var r = Controller.GuestRequest(spec: GuestSpec(name: "order\(i)", template: "busybox", limits: GuestLimits(memoryBytes: 16 << 20)))
                    r.host = "host1"
                    _ = try c.createGuest(r)
                }
                let run = try cluster.cliMerged(["host", "evacuate", "host1"])
                #expect(run.status == 0, "\(run.output)")
                let lines = run.output.split(separator: "\n").map(String.init)
                let plan = try #require(lines.firstIndex(of: "plan for host host1:"), "\(run.output)")
                let firstMove = try #require(lines.firstIndex { $0.hasPrefix("order1: ") || $0.hasPrefix("order2: ") }, "\(run.output)")
                let result = try #require(lines.firstIndex(of: "result for host host1:"), "\(run.output)")
                #expect(plan < firstMove && firstMove < result, "\(run.output)")
                #expect(lines[plan + 1].hasPrefix("  move order1 → host2"), "\(run.output)")
            }
        }

        @Test func evacuateTenOfWhichTwoFitNowhereThenRestore() throws {
            try withCluster(hosts: 3) { cluster in
                let c = try cluster.controller()
                try cluster.enrolAll(c, labels: { ["zone": $0 == 0 ? "x" : "y"] })
                _ = try c.addTemplate(name: "busybox", path: nil, busybox: true)
                var names: [String] = []
                for i in 1...10 {
                    var r = Controller.GuestRequest(spec: GuestSpec(name: "ev\(i)", template: "busybox", limits: GuestLimits(memoryBytes: 16 << 20)))
                    r.host = "host1"
                    // Two need zone x, which only host1 has: they fit nowhere else.
                    if i > 8 { r.requires = ["zone": "x"] }
                    _ = try c.createGuest(r)
                    names.append("ev\(i)")
                }
                // Without --allow-partial nothing starts.
                do throws(FleetError) {
                    _ = try c.evacuate("host1", dryRun: false)
                    Issue.record("evacuated although two guests fit nowhere")
                } catch {
                    #expect(error.message.contains("ev9") && error.message.contains("ev10"))
                    #expect(error.message.contains("zone"))
                }
                #expect(try c.store.host("host1").state == .active)
                #expect(try c.store.placements().allSatisfy { $0.host == "host1" })

                let watcher = try TwoHostWatcher(cluster: cluster, guests: names)
                let report = try c.evacuate("host1", dryRun: false, maxParallel: 4, allowPartial: true)
                #expect(report.moves.count == 8)
                #expect(report.moves.allSatisfy { $0.error == nil }, "\(report.moves.compactMap { $0.error })")
                #expect(Set(report.unplaceable.map(\.guest)) == ["ev9", "ev10"])
                #expect(report.unplaceable.allSatisfy { $0.stopped })
                #expect(report.state(of: "host1") == "evacuated")
                for i in 1...8 {
                    let at = try cluster.runningOn(c, "ev\(i)")
                    #expect(at.count == 1 && at.first != "host1", "ev\(i) on \(at)")
                    #expect(try c.store.guest("ev\(i)").origin == "host1")
                }
                #expect(try cluster.agentGuests(c, "host1").filter { $0.state == .running }.isEmpty)
                // No new placements on an evacuated host.
                var probe = Controller.GuestRequest(spec: GuestSpec(name: "probe", template: "busybox"))
                probe.requires = ["zone": "x"]
                #expect(throws: FleetError.self) { _ = try c.createGuest(probe) }

                let back = try c.restore("host1", dryRun: false, maxParallel: 4)
                #expect(back.moves.count == 8)
                #expect(back.moves.allSatisfy { $0.error == nil }, "\(back.moves.compactMap { $0.error })")
                let seen = watcher.finish()
                #expect(seen.violations.isEmpty, "\(seen.violations)")
                for i in 1...8 {
                    #expect(try cluster.runningOn(c, "ev\(i)") == ["host1"])
                    #expect(try c.store.guest("ev\(i)").origin == nil)
                }
                #expect(try c.store.host("host1").state == .active)
            }
        }

        /// `vfleet host evacuate host1 host2`: a rack drained at once. Every
        /// guest of both ends on host3, each moved exactly once (one
        /// operation, one move event), never running on two hosts at once;
        /// then host2 alone is restored.
        @Test func drainTwoHostsAtOnceOntoTheThird() throws {
            try withCluster(hosts: 3) { cluster in
                let c = try cluster.busyboxController()
                var sources: [String: String] = [:]
                for i in 1...6 {
                    var r = Controller.GuestRequest(spec: GuestSpec(name: "rack\(i)", template: "busybox", limits: GuestLimits(memoryBytes: 16 << 20)))
                    r.host = i <= 3 ? "host1" : "host2"
                    _ = try c.createGuest(r)
                    sources["rack\(i)"] = r.host
                }
                // host3 is the busiest, so a planner that let the drained
                // hosts take guests would send them there.
                var busy = Controller.GuestRequest(spec: GuestSpec(name: "busy", template: "busybox", limits: GuestLimits(memoryBytes: 256 << 20)))
                busy.host = "host3"
                _ = try c.createGuest(busy)

                for names in [["host1", "host2", "host3"], ["host1", "host1"], ["host1", "host9"]] {
                    let refused = try cluster.cli(["host", "evacuate"] + names)
                    #expect(refused.status != 0 && refused.err.contains("cannot evacuate"), "\(names): \(refused.err)")
                }
                let decoder = JSONDecoder()
                let dry = try cluster.cli(["host", "evacuate", "host1", "host2", "--dry-run", "--format", "json"])
                #expect(dry.status == 0, "\(dry.err)")
                let plan = try decoder.decode(Controller.EvacuationReport.self, from: Data(dry.out.utf8))
                #expect(plan.dryRun && plan.hosts.map(\.name) == ["host1", "host2"] && plan.hosts.allSatisfy { $0.state == "active" })
                #expect(plan.moves.count == 6 && plan.moves.allSatisfy { $0.destination == "host3" && $0.source == sources[$0.guest] },
                        "\(plan.moves)")
                #expect(try c.store.hosts().allSatisfy { $0.state == .active } && c.store.operations().isEmpty)

                let watcher = try TwoHostWatcher(cluster: cluster, guests: Array(sources.keys))
                let run = try cluster.cli(["host", "evacuate", "host1", "host2", "--max-parallel", "4", "--format", "json"])
                let seen = watcher.finish()
                #expect(run.status == 0, "\(run.err)")
                let report = try decoder.decode(Controller.EvacuationReport.self, from: Data(run.out.utf8))
                #expect(report.moves.count == 6 && report.unplaceable.isEmpty)
                #expect(report.moves.allSatisfy { $0.error == nil && $0.destination == "host3" }, "\(report.moves)")
                #expect(report.hosts.map(\.state) == ["evacuated", "evacuated"])
                #expect(seen.violations.isEmpty, "\(seen.violations)")
                for (guest, source) in sources {
                    #expect(try cluster.runningOn(c, guest) == ["host3"], "\(guest)")
                    #expect(try c.store.guest(guest).origin == source)
                    let ops = try c.store.operations().filter { $0.guest == guest }
                    #expect(ops.count == 1 && ops.first?.state == .done && ops.first?.host == source, "\(guest): \(ops)")
                    let params = try ops.first.map { try JSONDecoder().decode(MoveParams.self, from: Data($0.params.utf8)) }
                    #expect(params?.destination == "host3", "\(guest)")
                    let moves = try c.events(EventFilter(guest: guest)).filter { $0.action == "guest.move" }
                    #expect(moves.count == 1 && moves.first?.host == source && moves.first?.toHost == "host3", "\(guest): \(moves)")
                }
                for host in ["host1", "host2"] {
                    #expect(try cluster.agentGuests(c, host).isEmpty, "\(host)")
                    #expect(try c.store.host(host).state == .evacuated)
                    // The refused attempts above wrote failed events; the drain one ok event per host.
                    let events = try c.events(EventFilter(host: host)).filter { $0.action == "host.evacuate" }
                    #expect(events.filter { $0.outcome == .ok }.count == 1, "\(host): \(events)")
                    #expect(events.filter { $0.outcome == .failed }.allSatisfy { $0.error?.hasPrefix("cannot evacuate") == true }, "\(host): \(events)")
                }

                // Restored one host at a time: host2's guests go back, host1 stays empty.
                let back = try c.restore("host2", dryRun: false, maxParallel: 2)
                #expect(back.moves.map(\.guest).sorted() == ["rack4", "rack5", "rack6"])
                #expect(back.moves.allSatisfy { $0.error == nil }, "\(back.moves)")
                for i in 4...6 { #expect(try cluster.runningOn(c, "rack\(i)") == ["host2"]) }
                #expect(try c.store.host("host2").state == .active && c.store.host("host1").state == .evacuated)
                #expect(try cluster.agentGuests(c, "host1").isEmpty)
            }
        }

        /// `vfleet rebalance >log 2>&1`: the plan (stdout) comes before the
        /// first progress line (stderr), as its help promises.
        @Test func theRebalancePlanReachesAPipeBeforeTheFirstMove() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                for i in 1...4 {
                    var r = Controller.GuestRequest(spec: GuestSpec(name: "rp\(i)", template: "busybox", limits: GuestLimits(memoryBytes: 512 << 20)))
                    r.host = "host1"
                    _ = try c.createGuest(r)
                }
                let run = try cluster.cliMerged(["rebalance"])
                #expect(run.status == 0, "\(run.output)")
                let lines = run.output.split(separator: "\n").map(String.init)
                let plan = try #require(lines.firstIndex { $0.hasPrefix("score ") && $0.hasSuffix("with 2 move(s)") }, "\(run.output)")
                let firstMove = try #require(lines.firstIndex { $0.hasPrefix("rp") }, "\(run.output)")
                #expect(plan < firstMove, "\(run.output)")
                #expect(lines[plan + 1].hasPrefix("  move rp") && lines[plan + 2].hasPrefix("  move rp"), "\(run.output)")
                // Nothing failed, so nothing more is printed after the moves.
                #expect(!lines.contains { $0.contains("failed") }, "\(run.output)")
                #expect(try c.guestNames(on: "host2").count == 2)
            }
        }

        @Test func rebalanceMovesFromTheFullHost() throws {
            try withCluster(hosts: 2) { cluster in
                let c = try cluster.busyboxController()
                for i in 1...4 {
                    var r = Controller.GuestRequest(spec: GuestSpec(name: "rb\(i)", template: "busybox", limits: GuestLimits(memoryBytes: 512 << 20)))
                    r.host = "host1"
                    _ = try c.createGuest(r)
                }
                let plan = try c.rebalance(dryRun: true, maxMoves: 10)
                #expect(plan.moves.count == 2)
                #expect(plan.scoreAfter < plan.scoreBefore)
                #expect(try c.store.placements().allSatisfy { $0.host == "host1" })
                let done = try c.rebalance(dryRun: false, maxMoves: 10)
                #expect(done.moves.allSatisfy { $0.error == nil })
                let onHost2 = try c.store.placements().filter { $0.host == "host2" }.map(\.guest)
                #expect(onHost2.count == 2)
                for g in onHost2 { #expect(try cluster.runningOn(c, g) == ["host2"]) }
            }
        }
    }
}
