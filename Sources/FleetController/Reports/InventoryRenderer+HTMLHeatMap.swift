import FleetProtocol

extension InventoryRenderer {
    /// One small square per host, coloured by the share of its memory its
    /// guests use (ten steps), outlined red where the store allocates more than
    /// the host has, grey and crossed when unreachable. The tooltip says the figures.
    static func heatMap(_ hosts: [HostReport], into page: inout String) {
        guard !hosts.isEmpty else { return }
        page += "<section class=\"heat\"><h2>Memory use by host</h2><p class=\"legend\">"
        page += "<span class=\"key\">0%<i class=\"m0\"></i><i class=\"m2\"></i><i class=\"m4\"></i><i class=\"m6\"></i>"
            + "<i class=\"m8\"></i><i class=\"m9\"></i>100% used</span>"
        page += "<span class=\"key\"><i class=\"m2 over\"></i>allocated beyond capacity</span>"
        page += "<span class=\"key\"><i class=\"down\"></i>unreachable</span>"
        page += "<span class=\"key\"><i class=\"m2 cordoned\"></i>cordoned</span></p>\n<div class=\"cells\">"
        for h in hosts {
            var classes: [String] = []
            let share: Double? = h.reachable && h.capacity.memoryBytes > 0
                ? h.usedMemoryBytes.map { percent($0, of: h.capacity.memoryBytes) } : nil
            if let share { classes.append("m\(min(9, Int(share / 10)))") } else { classes.append("down") }
            let committed = InventoryFleetTotals.sum(h.allocated.memoryBytes, h.reservedMemoryBytes)
            if committed > h.capacity.memoryBytes { classes.append("over") }
            if h.cordoned { classes.append("cordoned") }
            var title = "\(h.name): "
            if let share, let used = h.usedMemoryBytes {
                title += "\(bytes(used)) of \(bytes(h.capacity.memoryBytes)) used (\(whole(share)))"
            } else {
                title += "use unknown of \(bytes(h.capacity.memoryBytes))"
            }
            title += "; allocated \(bytes(h.allocated.memoryBytes)) + reserved \(bytes(h.reservedMemoryBytes)); "
                + "\(counted(h.guestCount, "guest")); \(hostStateText(h))"
            if !h.reachable, let error = h.error, !error.isEmpty { title += ": \(error)" }
            page += "<i class=\"\(classes.joined(separator: " "))\" title=\"\(escaped(title))\"></i>"
        }
        page += "</div></section>\n"
    }
}
