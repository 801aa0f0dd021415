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

    /// The cluster score: standard deviation of each schedulable host's
    /// allocated memory as a fraction of what it can hold.
    static func score(_ load: [String: Double]) -> Double {
        guard !load.isEmpty else { return 0 }
        let mean = load.values.reduce(0, +) / Double(load.count)
        return (load.values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(load.count)).squareRoot()
    }

    /// Greedy: repeatedly take the single move (a guest from a host to
    /// another where it fits) that lowers the score most, until none helps
    /// or `maxMoves` is reached. Each move is checked with the scheduler.
    public func planRebalance(maxMoves: Int) throws(FleetError) -> RebalancePlan {
        let hosts = try store.hosts().filter(\.schedulable)
        let guests = Dictionary(uniqueKeysWithValues: try store.guests().map { ($0.name, $0) })
        let templates = Dictionary(uniqueKeysWithValues: try store.templates().map { ($0.name, $0) })
        var placement = Dictionary(uniqueKeysWithValues: try store.placements().map { ($0.guest, $0.host) })
        var scheduler = try scheduler()
        var usable: [String: Double] = [:]
        for h in hosts {
            let memory = h.facts?.memoryBytes ?? 0
            usable[h.name] = memory > h.reservedMemoryBytes ? Double(memory - h.reservedMemoryBytes) : 1
        }
        func load() -> [String: Double] {
            var l = Dictionary(uniqueKeysWithValues: hosts.map { ($0.name, 0.0) })
            for (g, h) in placement where l[h] != nil { l[h]! += Double(guests[g]?.memoryBytes ?? 0) / usable[h]! }
            return l
        }
        let before = Self.score(load())
        var current = before
        var moves: [RebalancePlan.Move] = []
        while moves.count < maxMoves {
            var best: (guest: String, from: String, to: String, score: Double)?
            let l = load()
            let ordered = l.sorted { $0.value > $1.value }.map(\.key)
            for from in ordered.prefix(3) {
                for (g, h) in placement where h == from {
                    guard let guest = guests[g] else { continue }
                    for to in ordered.reversed() where to != from {
                        var trial = scheduler
                        trial.remove(guest: g)
                        guard case .success = trial.place(demand(guest, templates: templates), on: to) else { continue }
                        placement[g] = to
                        let s = Self.score(load())
                        placement[g] = from
                        if s < current - 1e-9 && (best == nil || s < best!.score) { best = (g, from, to, s) }
                    }
                }
            }
            guard let b = best else { break }
            scheduler.remove(guest: b.guest)
            _ = scheduler.place(demand(guests[b.guest]!, templates: templates), on: b.to)
            placement[b.guest] = b.to
            current = b.score
            moves.append(.init(guest: b.guest, from: b.from, to: b.to, score: b.score, error: nil))
        }
        return RebalancePlan(scoreBefore: before, scoreAfter: current, moves: moves, dryRun: true)
    }

    /// `vfleet rebalance`: the plan, carried out move by move unless dry.
    public func rebalance(dryRun: Bool, maxMoves: Int, progress: @escaping @Sendable (MoveProgress) -> Void = { _ in }) throws(FleetError) -> RebalancePlan {
        var plan = try planRebalance(maxMoves: maxMoves)
        plan.dryRun = dryRun
        if dryRun { return plan }
        for i in plan.moves.indices {
            do throws(FleetError) {
                _ = try moveGuest(plan.moves[i].guest, to: plan.moves[i].to, progress: progress)
            } catch {
                plan.moves[i].error = error.message
            }
        }
        return plan
    }
}
