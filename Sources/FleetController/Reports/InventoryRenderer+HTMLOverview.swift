import FleetProtocol

extension InventoryRenderer {
    /// The top of the page: memory and CPU bars (capacity, reserved, allocated,
    /// used), host and guest counts, drift, and the unreachable hosts by name.
    static func overview(_ r: InventoryReport, _ t: InventoryFleetTotals, into page: inout String) {
        page += "<section class=\"overview\">\n"
        let memoryOver = InventoryFleetTotals.sum(t.memoryAllocated, t.memoryReserved) > t.memoryCapacity
        page += card("Memory", bar: [
            ("reserved", percent(t.memoryReserved, of: t.memoryCapacity)),
            (memoryOver ? "allocated over" : "allocated", percent(t.memoryAllocated, of: t.memoryCapacity)),
        ], used: percent(t.memoryUsed, of: t.memoryCapacity), text: [
            "capacity \(bytes(t.memoryCapacity))",
            "allocated \(bytes(t.memoryAllocated)) + reserved \(bytes(t.memoryReserved)) "
                + "(\(whole(percent(InventoryFleetTotals.sum(t.memoryAllocated, t.memoryReserved), of: t.memoryCapacity))))",
            "used \(bytes(t.memoryUsed)) (\(whole(percent(t.memoryUsed, of: t.memoryCapacity))))",
        ])
        let cpuOver = t.cpuAllocatedMillis > t.cpuCapacityMillis
        page += card("CPU", bar: [
            (cpuOver ? "allocated over" : "allocated", percent(t.cpuAllocatedMillis, of: t.cpuCapacityMillis)),
        ], used: nil, text: [
            "capacity \(cpus(t.cpuCapacityMillis)) CPUs",
            "allocated \(cpus(t.cpuAllocatedMillis)) (\(whole(percent(t.cpuAllocatedMillis, of: t.cpuCapacityMillis))))",
            // The report holds CPU time used so far, not a rate: it cannot be drawn against capacity.
            "used \(decimal(t.cpuSecondsUsed, places: 0)) CPU-seconds so far",
        ])
        var hostFacts = ["\(r.summary.reachableHosts) reachable"]
        if !t.unreachable.isEmpty { hostFacts.append("<b class=\"bad\">\(t.unreachable.count) unreachable</b>") }
        if t.cordoned > 0 { hostFacts.append("\(t.cordoned) cordoned") }
        if t.evacuating > 0 { hostFacts.append("\(t.evacuating) evacuating or evacuated") }
        page += count("Hosts", r.summary.hosts, facts: hostFacts)
        page += count("Guests", r.summary.guests, facts: t.guestStates.map { "\($0.count) \(escaped($0.state))" })
        let drifted = r.summary.driftedGuests
        page += count("Drift", drifted, facts: [drifted == 0 ? "every guest as desired"
            : "guests whose actual state differs from the desired · <a href=\"#guests\" data-show=\"guests-only\">show them</a>"],
            className: drifted == 0 ? "card" : "card warn")
        page += "</section>\n"
        if !t.unreachable.isEmpty {
            // Every one named: these are the hosts an operator has to go and look at.
            let names = t.unreachable.map { "<span title=\"\(escaped(unreachableLine($0)))\">\(escaped($0.name))</span>" }
            page += "<p class=\"alert\"><b>Unreachable (\(t.unreachable.count)):</b> " + names.joined(separator: ", ") + "</p>\n"
        }
        let unknown = unknownGuestLines(r)
        if !unknown.isEmpty {
            page += "<ul class=\"unknown-guests\">" + unknown.map { "<li>\(escaped($0))</li>" }.joined() + "</ul>\n"
        }
    }

    /// A bar with its parts side by side from the left, and used as a thin strip over them.
    private static func card(_ title: String, bar parts: [(String, Double)], used: Double?, text: [String]) -> String {
        var card = "<div class=\"card\"><h2>\(title)</h2><div class=\"bar\">"
        for (className, share) in parts where share > 0 {
            card += "<span class=\"\(className)\" style=\"width:\(decimal(share, places: 1))%\"></span>"
        }
        if let used, used > 0 {
            card += "<span class=\"used\" style=\"width:\(decimal(used, places: 1))%\"></span>"
        }
        card += "</div><p>" + text.map(escaped).joined(separator: " · ") + "</p></div>\n"
        return card
    }

    /// `facts` are HTML (escaped by the caller).
    private static func count(_ title: String, _ number: Int, facts: [String], className: String = "card") -> String {
        "<div class=\"\(className)\"><h2>\(title)</h2><p class=\"big\">\(number)</p><p>"
            + facts.joined(separator: " · ") + "</p></div>\n"
    }

    static func whole(_ percent: Double) -> String {
        "\(Int(percent.rounded()))%"
    }
}
