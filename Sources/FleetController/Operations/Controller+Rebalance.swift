import FleetProtocol
import FleetScheduler
import Foundation

extension Controller {
    public struct RebalancePlan: Codable, Sendable {
        public struct Move: Codable, Sendable {
            public var guest: String
            public var from: String
            public var to: String
            /// The cluster score after this move.
            public var score: Double
            public var error: String?
        }
        /// The spread (standard deviation) of allocated memory fractions
        /// across schedulable hosts: 0 is perfectly even.
        public var scoreBefore: Double
        public var scoreAfter: Double
        public var moves: [Move]
        public var dryRun: Bool
    }

    /// The scheduler's plan (Scheduler.planRebalance) over the store's
    /// hosts and placements, as the report `vfleet rebalance` prints.
    public func planRebalance(maxMoves: Int) throws(FleetError) -> RebalancePlan {
        let plan = Scheduler.planRebalance(hosts: capacities(try store.hosts()), placed: try placedGuests(),
                                           policy: settings.placementPolicy, maxMoves: maxMoves)
        return RebalancePlan(scoreBefore: plan.scoreBefore, scoreAfter: plan.scoreAfter,
                             moves: plan.moves.map { .init(guest: $0.guest, from: $0.from, to: $0.to, score: $0.score, error: nil) },
                             dryRun: true)
    }

    /// `vfleet rebalance`: the plan, carried out move by move unless dry.
    /// `planned` sees the plan before the first move (not on a dry run: the
    /// plan is the report then).
    public func rebalance(dryRun: Bool, maxMoves: Int, planned: (RebalancePlan) -> Void = { _ in },
                          progress: @escaping @Sendable (MoveProgress) -> Void = { _ in }) throws(FleetError) -> RebalancePlan {
        try recorder.record("fleet.rebalance", when: !dryRun) { (note: inout EventNote) throws(FleetError) in
            var plan = try planRebalance(maxMoves: maxMoves)
            plan.dryRun = dryRun
            if dryRun { return plan }
            planned(plan)
            for i in plan.moves.indices {
                do throws(FleetError) {
                    _ = try moveGuest(plan.moves[i].guest, to: plan.moves[i].to, within: "fleet.rebalance", progress: progress)
                } catch {
                    plan.moves[i].error = error.message
                }
            }
            let failed = plan.moves.filter { $0.error != nil }.count
            note.detail = "\(plan.moves.count - failed) moves, score \(String(format: "%.3f", plan.scoreBefore)) → \(String(format: "%.3f", plan.scoreAfter))"
            if failed > 0 {
                note.outcome = .failed
                note.error = "\(failed) of \(plan.moves.count) moves failed (see the guests' events)"
            }
            return plan
        }
    }
}
