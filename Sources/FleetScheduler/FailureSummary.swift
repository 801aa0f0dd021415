/// The parts of a failure message that look at all hosts at once.
enum FailureSummary {
    /// The hosts to list one by one (at most `count`, in name order) and the
    /// rest. Listed first are hosts that were short of capacity or held a
    /// groupmate: they came closest, while "cordoned" or a label mismatch
    /// says little about what to change.
    static func split(_ rejections: [HostRejection], listing count: Int) -> (listed: [HostRejection], rest: [HostRejection]) {
        guard rejections.count > count else { return (rejections, []) }
        let ranked = rejections.indices.sorted { (closeness(rejections[$0].kind), $0) < (closeness(rejections[$1].kind), $1) }
        let listed = Set(ranked.prefix(count))
        return (
            rejections.indices.filter(listed.contains).map { rejections[$0] },
            rejections.indices.filter { !listed.contains($0) }.map { rejections[$0] })
    }

    private static func closeness(_ kind: RejectionKind) -> Int {
        switch kind {
        case .memory, .cpu, .disk, .antiAffinity: 0
        case .labels: 1
        case .cordoned, .evacuating, .unreachable: 2
        case .unknownHost, .alreadyPlaced: 3
        }
    }

    /// "…and 180 more hosts: 120 for memory, 60 for cpu": big fleets get
    /// counts by reason instead of a line per host.
    static func remainder(_ rejections: [HostRejection]) -> String {
        var counts: [RejectionKind: Int] = [:]
        for rejection in rejections { counts[rejection.kind, default: 0] += 1 }
        // Most frequent first; equal counts in the enum's order, for stable text.
        let rank = Dictionary(uniqueKeysWithValues: RejectionKind.allCases.enumerated().map { ($1, $0) })
        let parts = counts
            .sorted { ($1.value, rank[$0.key, default: 0]) < ($0.value, rank[$1.key, default: 0]) }
            .map { "\($0.value) for \($0.key.rawValue)" }
        let hosts = rejections.count == 1 ? "host" : "hosts"
        return "…and \(rejections.count) more \(hosts): " + parts.joined(separator: ", ")
    }

    /// What the operator can change, from the reasons that occurred.
    static func advice(for rejections: [HostRejection]) -> String {
        let kinds = Set(rejections.map(\.kind))
        var actions: [String] = []
        let resources = [RejectionKind.memory, .cpu, .disk].filter(kinds.contains).map(\.rawValue)
        if !resources.isEmpty {
            actions.append("free or add \(resources.joined(separator: "/")) (stop or remove guests, or add hosts)")
        }
        if kinds.contains(.antiAffinity) { actions.append("add hosts or take the guest out of its anti-affinity group") }
        if kinds.contains(.labels) { actions.append("label more hosts or relax the guest's required labels") }
        if kinds.contains(.cordoned) { actions.append("uncordon a host (vfleet host uncordon NAME)") }
        if kinds.contains(.unreachable) {
            actions.append("bring unreachable hosts back (vfleet host refresh NAME once the agent answers)")
        }
        if actions.isEmpty { actions.append("add hosts") }
        return "to place it: " + actions.joined(separator: "; ")
    }
}
