import FleetProtocol

extension InventoryRenderer {
    /// How the page's script reads a column's cells to sort them: s text
    /// (numbers within it in order: host9 before host10), n a number, b a size
    /// as `ByteSize.format` writes it (the first of "used/limit"), d a duration
    /// as `duration(_:)` writes it. "-" (unknown) sorts last either way.
    enum SortKey: String { case s, n, b, d }

    static func hostsListing(_ hosts: [HostReport], into page: inout String, style: inout String) {
        let columns: [(String, SortKey)] = [
            ("Name", .s), ("State", .s), ("Memory", .b), ("Allocated", .b), ("Reserved", .b), ("Used", .b),
            ("Used %", .n), ("CPUs", .n), ("CPUs alloc", .n), ("Disk free", .b), ("Disk alloc", .b), ("Guests", .n),
            ("Kernel", .s), ("cgroups", .s), ("Address", .s), ("Labels", .s), ("Error", .s),
        ]
        let rows = hosts.map { h in
            let classes = [h.reachable ? nil : "unreachable", h.cordoned ? "cordoned" : nil].compactMap { $0 }
            let used = h.reachable && h.capacity.memoryBytes > 0
                ? h.usedMemoryBytes.map { whole(percent($0, of: h.capacity.memoryBytes)) } : nil
            return (classes, [
                h.name, hostStateText(h), bytes(h.capacity.memoryBytes), bytes(h.allocated.memoryBytes),
                bytes(h.reservedMemoryBytes), bytes(h.usedMemoryBytes), used ?? missing,
                cpus(h.capacity.cpuMillis), cpus(h.allocated.cpuMillis), bytes(h.freeDiskBytes),
                bytes(h.allocated.diskBytes), String(h.guestCount), h.kernel ?? missing, h.cgroupMode ?? missing,
                h.address, h.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "),
                h.reachable ? "" : (h.error ?? ""),
            ])
        }
        listing(id: "hosts", title: "Hosts", only: ("unreachable", "unreachable only"), columns: columns, rows: rows,
                into: &page, style: &style)
    }

    static func guestsListing(_ guests: [GuestReport], into page: inout String, style: inout String) {
        let columns: [(String, SortKey)] = [
            ("Name", .s), ("Host", .s), ("Group", .s), ("Desired", .s), ("Actual", .s), ("Drift", .s),
            ("Memory", .b), ("Limit", .b), ("CPUs", .n), ("CPU s", .n), ("Processes", .n), ("Uptime", .d),
            ("Template", .s),
        ]
        let rows = guests.map { g in
            (g.drift ? ["drifted"] : [], [
                g.name, g.host ?? missing, g.group ?? "", g.desiredState, g.actualState,
                g.drift ? (g.driftReason ?? "drifted") : "",
                bytes(g.memoryBytes), bytes(g.limits.memoryBytes), cpus(g.limits.cpuMillis), seconds(g.cpuSeconds),
                g.processes.map { String($0) } ?? missing, duration(g.uptimeSeconds), g.template,
            ])
        }
        listing(id: "guests", title: "Guests", only: ("drifted", "drifted only"), columns: columns, rows: rows,
                into: &page, style: &style)
    }

    /// The table with its heading, and the width of each of its columns for
    /// the page's style. The rows are laid out as lines of fixed-width cells,
    /// not as a table, so that the browser lays out only the rows on screen
    /// (`content-visibility`): a table of 5,000 rows takes it a second to lay
    /// out, a page of such lines a tenth of that. The widths come from the
    /// longest cell of each column (~0.6 em a character), capped; a
    /// longer cell ends in "…".
    private static func listing(id: String, title: String, only: (className: String, label: String),
                                columns: [(String, SortKey)], rows: [([String], [String])],
                                into page: inout String, style: inout String) {
        for (index, column) in columns.enumerated() {
            let longest = rows.reduce(column.0.count + 2) { max($0, $1.1[index].count) }
            // em, not ch: ch is a digit of the element's own font, wider in the bold header than in the cells.
            let width = decimal(Double(min(longest, 48)) * 0.62 + 1.6, places: 1)
            style += "#\(id)-table tr > :nth-child(\(index + 1)) { width: \(width)em; }\n"
        }
        listingStart(id: id, title: title, count: rows.count, only: only, columns: columns, into: &page)
        for (classes, cells) in rows { row(classes, cells, into: &page) }
        listingEnd(empty: rows.isEmpty, columns: columns.count, into: &page)
    }

    /// The heading with the filter box (shown only when script runs: without
    /// it they would do nothing), the count of rows shown, and the table head.
    private static func listingStart(id: String, title: String, count: Int, only: (className: String, label: String),
                                     columns: [(String, SortKey)], into page: inout String) {
        page += "<section class=\"listing\" id=\"\(id)\"><div class=\"listing-head\"><h2>\(title)</h2>"
        page += "<span class=\"controls\"><input type=\"search\" id=\"\(id)-filter\" placeholder=\"filter: words rows contain\" "
            + "aria-label=\"filter \(id)\"> <label><input type=\"checkbox\" id=\"\(id)-only\" value=\"\(only.className)\"> "
            + "\(only.label)</label></span> <span class=\"count\" id=\"\(id)-count\">\(count)</span>"
            + "<span class=\"hint controls\">click a column to sort</span></div>\n"
        page += "<div class=\"scroll\"><table id=\"\(id)-table\">\n<thead><tr>"
        for (name, key) in columns {
            page += key == .s ? "<th>\(name)</th>" : "<th data-t=\"\(key.rawValue)\">\(name)</th>"
        }
        page += "</tr></thead>\n<tbody>\n"
    }

    /// Cells without end tags (HTML5 closes a td at the next one): a fifth
    /// smaller at 5,000 guests.
    private static func row(_ classes: [String], _ cells: [String], into page: inout String) {
        page += classes.isEmpty ? "<tr>" : "<tr class=\"\(classes.joined(separator: " "))\">"
        for cell in cells {
            page += "<td>"
            page += escaped(cell)
        }
        page += "</tr>\n"
    }

    private static func listingEnd(empty: Bool, columns: Int, into page: inout String) {
        if empty { page += "<tr class=\"none\"><td colspan=\"\(columns)\">none</tr>\n" }
        page += "</tbody>\n</table></div></section>\n"
    }
}
