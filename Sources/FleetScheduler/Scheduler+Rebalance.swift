extension Scheduler {
    /// Greedy: repeatedly take the single move (a guest from one of the three
    /// fullest schedulable hosts to another where the scheduler lets it go)
    /// that lowers the score most, until none helps or `maxMoves` is reached.
    /// Guests on cordoned hosts stay where they are. Ties go to the first in
    /// name order, so the plan does not depend on the order of `placed`.
    public static func planRebalance(
        hosts: [HostCapacity], placed: [PlacedGuest], policy: PlacementPolicy, maxMoves: Int,
        cpuOvercommit: Double = 1.0
    ) -> RebalancePlan {
        let schedulable = hosts.filter { !$0.cordoned }.sorted { $0.name < $1.name }
        var usable: [String: Double] = [:]
        for h in schedulable {
            usable[h.name] = h.memoryBytes > h.reservedMemoryBytes ? Double(h.memoryBytes - h.reservedMemoryBytes) : 1
        }
        let guests = placed.map(\.guest).sorted { $0.name < $1.name }
        var placement = Dictionary(placed.map { ($0.guest.name, $0.host) }, uniquingKeysWith: { first, _ in first })
        var scheduler = Scheduler(hosts: hosts, placed: placed, policy: policy, cpuOvercommit: cpuOvercommit)

        func load() -> [String: Double] {
            var l = Dictionary(uniqueKeysWithValues: schedulable.map { ($0.name, 0.0) })
            for g in guests {
                if let h = placement[g.name], let u = usable[h] { l[h]! += Double(g.memoryBytes) / u }
            }
            return l
        }

        let before = score(load())
        var current = before
        var moves: [RebalancePlan.Move] = []
        while moves.count < maxMoves {
            var best: RebalancePlan.Move?
            // Fullest first; equal loads in name order.
            let ordered = load().sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
            for from in ordered.prefix(3) {
                for guest in guests where placement[guest.name] == from {
                    for to in ordered.reversed() where to != from {
                        var trial = scheduler
                        trial.remove(guest: guest.name)
                        guard case .success = trial.place(guest, on: to) else { continue }
                        placement[guest.name] = to
                        let s = score(load())
                        placement[guest.name] = from
                        if s < current - 1e-9 && (best == nil || s < best!.score) {
                            best = .init(guest: guest.name, from: from, to: to, score: s)
                        }
                    }
                }
            }
            guard let b = best, let guest = guests.first(where: { $0.name == b.guest }) else { break }
            scheduler.remove(guest: b.guest)
            _ = scheduler.place(guest, on: b.to)
            placement[b.guest] = b.to
            current = b.score
            moves.append(b)
        }
        return RebalancePlan(scoreBefore: before, scoreAfter: current, moves: moves)
    }

    /// The cluster score: standard deviation of each schedulable host's
    /// allocated memory as a fraction of what it can hold.
    public static func score(_ load: [String: Double]) -> Double {
        guard !load.isEmpty else { return 0 }
        let mean = load.values.reduce(0, +) / Double(load.count)
        return (load.values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(load.count)).squareRoot()
    }
}
