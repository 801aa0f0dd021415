@testable import FleetController
import FleetProtocol
import FleetTestSupport
import Foundation
import Testing

/// An evacuation is journaled (kind "evacuate"): if its controller dies,
/// `ops resume` (or serve) resumes the moves it left first, then carries
/// the evacuation on over the guests still on its hosts.
@Suite(.tags(.unit)) struct EvacuationResumeTests {
    @Test func anEvacuationIsJournaledAndEndsDone() throws {
        let (_, c) = try MultiHostEvacuateTests.fleet()
        // host3 drained too: the fakes run host1 and host2 only.
        let report = try c.evacuate(["host1", "host3"], dryRun: false)
        #expect(report.moves.map(\.guest) == ["g1"] && report.moves.allSatisfy { $0.error == nil })
        let evacuation = try #require(try c.store.operations().first { $0.kind == "evacuate" })
        #expect(evacuation.state == .done && evacuation.host == "host1")
        #expect(EvacuationParams(json: evacuation.params)?.hosts == ["host1", "host3"])
        #expect(evacuation.fence > 0)
        // A dry run journals nothing.
        let before = try c.store.operations().count
        _ = try c.evacuate(["host1"], dryRun: true)
        #expect(try c.store.operations().count == before)
    }

    /// The controller died during the evacuation of host1 and host3, with
    /// g1's move at start-destination. While host2 does not answer, the
    /// move's resume leaves it rollback_pending and the evacuation waits in
    /// flight behind it. Once host2 answers, the move is resumed first (it
    /// rolls back), then the evacuation plans g1 again and moves it.
    @Test func aDeadControllersEvacuationGoesOnAfterTheMoveItLeft() throws {
        let (f, c) = try MultiHostEvacuateTests.fleet()
        _ = try c.store.swapHostStates(["host1", "host3"], to: .evacuating)
        let params = EvacuationParams(hosts: ["host1", "host3"], maxParallel: 1, action: .migrate, allowPartial: false)
        let evacuation = try c.store.beginOperation(kind: "evacuate", guest: nil, host: "host1", params: try params.json(), firstStep: "moves")
        f.agents.state.withLock { $0.fault = .init(step: .startDestination, call: -1, kind: .death) }
        #expect(throws: FleetError.self) { _ = try f.engine.start(f.params) { _ in } }
        try f.store.write { db in try db.execute(sql: "UPDATE operations SET owner = '1@elsewhere'") }

        f.agents.state.withLock { $0.dead = false; $0.unreachable = ["host2"] }
        let waiting = try c.resumeOperations(nil)
        #expect(waiting.map(\.operation).last == evacuation.id, "moves first: \(waiting)")
        #expect(waiting.first?.outcome == "rollback_pending", "\(waiting)")
        #expect(waiting.last?.detail.contains("waits for operation") == true, "\(waiting)")
        #expect(try c.store.operation(evacuation.id!).state == .running)

        f.agents.state.withLock { $0.unreachable = [] }
        let resumed = try c.resumeOperations(nil)
        #expect(resumed.map(\.outcome) == ["rolled_back", "done"], "\(resumed)")
        #expect(resumed.last?.detail.contains("1 moved") == true && resumed.last?.detail.contains("host1 evacuated") == true, "\(resumed)")
        #expect(try c.store.operation(evacuation.id!).state == .done)
        #expect(try c.store.placement(of: "g1")?.host == "host2")
        #expect(try MultiHostEvacuateTests.states(c)["host1"] == .evacuated)
        #expect(f.agents.state.withLock { $0.violations }.isEmpty)
    }
}
