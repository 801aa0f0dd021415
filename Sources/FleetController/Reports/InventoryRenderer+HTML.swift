import FleetProtocol

extension InventoryRenderer {
    /// One self-contained HTML5 page: the summary, a bar chart per host (inline
    /// SVG), a hosts table and a guests table with drifted rows highlighted.
    /// Nothing is loaded from elsewhere, so the page can be mailed or archived
    /// and still open offline. All text from the model is escaped.
    public static func html(_ r: InventoryReport) -> String {
        var page: [String] = [
            "<!DOCTYPE html>",
            "<html lang=\"en\">",
            "<head>",
            "<meta charset=\"utf-8\">",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
            "<title>vfleet inventory</title>",
            "<style>\(pageStyle)</style>",
            "</head>",
            "<body>",
            "<h1>vfleet inventory</h1>",
            generatedParagraph(r.generatedAt),
            "<p class=\"summary\">\(escaped(summaryLine(r.summary)))</p>",
        ]
        let unknown = unknownGuestLines(r)
        if !unknown.isEmpty {
            page.append("<ul class=\"unknown-guests\">")
            page += unknown.map { "<li>\(escaped($0))</li>" }
            page.append("</ul>")
        }
        page += ["<h2>Host resources</h2>", legend]
        page += r.hosts.map(hostCard)
        page += ["<h2>Hosts</h2>"] + hostsTable(r.hosts)
        page += ["<h2>Guests</h2>"] + guestsTable(r.guests)
        page += ["</body>", "</html>"]
        return page.joined(separator: "\n") + "\n"
    }

    // MARK: Page parts

    private static func generatedParagraph(_ generatedAt: Double) -> String {
        let time = isoTime(generatedAt)
        // <time datetime> must hold a valid date, so a bad timestamp is plain text.
        guard time != "unknown" else { return "<p class=\"generated\">Generated at an unknown time</p>" }
        return "<p class=\"generated\">Generated <time datetime=\"\(time)\">\(time)</time> (UTC)</p>"
    }

    private static let legend = """
        <p class="legend"><span class="swatch reserved"></span>reserved for the host \
        <span class="swatch allocated"></span>allocated to guests \
        <span class="swatch used"></span>used by guests \
        <span class="swatch over"></span>allocated beyond capacity</p>
        """

    /// The host's name, state, error if unreachable, and its chart.
    private static func hostCard(_ h: HostReport) -> String {
        var card = ["<section class=\"\(h.reachable ? "host" : "host unreachable")\">"]
        card.append("<h3>\(escaped(h.name)) <span class=\"state\">\(escaped(hostStateText(h)))</span></h3>")
        if !h.reachable {
            card.append("<p class=\"error\">\(escaped(unreachableLine(h)))</p>")
        }
        card.append(hostChart(h))
        card.append("</section>")
        return card.joined(separator: "\n")
    }

    private static func hostsTable(_ hosts: [HostReport]) -> [String] {
        let header = ["Name", "Address", "State", "Kernel", "cgroups", "Memory alloc/cap", "Reserved", "Used",
                      "CPU alloc/cap", "Disk alloc/cap", "Disk free", "Guests", "Labels"]
        let rows = hosts.map { h in
            let labels = h.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let cells = [
                h.name, h.address, hostStateText(h), h.kernel ?? missing, h.cgroupMode ?? missing,
                "\(bytes(h.allocated.memoryBytes))/\(bytes(h.capacity.memoryBytes))",
                bytes(h.reservedMemoryBytes), bytes(h.usedMemoryBytes),
                "\(cpus(h.allocated.cpuMillis))/\(cpus(h.capacity.cpuMillis))",
                "\(bytes(h.allocated.diskBytes))/\(bytes(h.capacity.diskBytes))",
                bytes(h.freeDiskBytes), String(h.guestCount), labels,
            ]
            let classes = [h.reachable ? nil : "unreachable", h.cordoned ? "cordoned" : nil].compactMap { $0 }
            return (classes, cells)
        }
        return htmlTable(className: "hosts", header: header, rows: rows)
    }

    private static func guestsTable(_ guests: [GuestReport]) -> [String] {
        let header = ["Name", "Host", "Group", "Desired", "Actual", "Drift", "Memory used/limit", "CPU s",
                      "Processes", "Uptime", "Template"]
        let rows = guests.map { g in
            let cells = [
                g.name, g.host ?? missing, g.group ?? "", g.desiredState, g.actualState,
                g.drift ? (g.driftReason ?? "drifted") : "",
                "\(bytes(g.memoryBytes))/\(bytes(g.limits.memoryBytes))",
                seconds(g.cpuSeconds), g.processes.map { String($0) } ?? missing,
                duration(g.uptimeSeconds), g.template,
            ]
            return (g.drift ? ["drifted"] : [], cells)
        }
        return htmlTable(className: "guests", header: header, rows: rows)
    }

    private static func htmlTable(className: String, header: [String], rows: [([String], [String])]) -> [String] {
        var lines = ["<table class=\"\(className)\">", "<thead>"]
        lines.append("<tr>" + header.map { "<th>\(escaped($0))</th>" }.joined() + "</tr>")
        lines += ["</thead>", "<tbody>"]
        for (classes, cells) in rows {
            let classAttribute = classes.isEmpty ? "" : " class=\"\(classes.joined(separator: " "))\""
            lines.append("<tr\(classAttribute)>" + cells.map { "<td>\(escaped($0))</td>" }.joined() + "</tr>")
        }
        if rows.isEmpty {
            lines.append("<tr><td colspan=\"\(header.count)\">none</td></tr>")
        }
        lines += ["</tbody>", "</table>"]
        return lines
    }

    // MARK: Chart

    /// Geometry of a host's chart, in SVG user units.
    private enum Bar {
        static let width = 600.0
        static let height = 14.0
        /// Label line plus bar plus gap.
        static let rowHeight = 44.0
        static let labelBaseline = 14.0
        static let barTop = 20.0
    }

    /// A part of a bar: its amount, in the unit of the bar's capacity, and its tooltip.
    private struct Segment {
        var amount: Double
        var title: String
    }

    /// Three horizontal bars, each scaled to its capacity: memory (reserved
    /// for the host, allocated to guests, used now), cpu and disk (allocated).
    private static func hostChart(_ h: HostReport) -> String {
        let (capacity, allocated) = (h.capacity, h.allocated)
        let used = h.usedMemoryBytes.map { "\(bytes($0)) used" } ?? "used unknown"
        let memory = barRow(
            index: 0,
            label: "memory: \(bytes(allocated.memoryBytes)) allocated + \(bytes(h.reservedMemoryBytes)) reserved "
                + "of \(bytes(capacity.memoryBytes)), \(used)",
            capacity: Double(capacity.memoryBytes),
            reserved: Segment(amount: Double(h.reservedMemoryBytes),
                              title: "reserved \(bytes(h.reservedMemoryBytes))"),
            allocated: Segment(amount: Double(allocated.memoryBytes),
                               title: "allocated \(bytes(allocated.memoryBytes))"),
            used: h.usedMemoryBytes.map { Segment(amount: Double($0), title: "used \(bytes($0))") })
        let cpuText = "\(cpus(allocated.cpuMillis)) of \(cpus(capacity.cpuMillis)) CPUs allocated"
        let cpu = barRow(
            index: 1, label: "cpu: \(cpuText)", capacity: Double(capacity.cpuMillis),
            allocated: Segment(amount: Double(allocated.cpuMillis), title: cpuText))
        let diskText = "\(bytes(allocated.diskBytes)) of \(bytes(capacity.diskBytes)) allocated"
        let disk = barRow(
            index: 2, label: "disk: \(diskText)", capacity: Double(capacity.diskBytes),
            allocated: Segment(amount: Double(allocated.diskBytes), title: diskText))
        let (width, height) = (svgNumber(Bar.width), svgNumber(Bar.rowHeight * 3))
        let name = escaped("resources of host \(h.name)")
        // No xmlns: inline SVG in HTML5 does not need it, and the page stays free of URLs.
        return "<svg class=\"bars\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" "
            + "role=\"img\" aria-label=\"\(name)\">\n<title>\(name)</title>\n"
            + [memory, cpu, disk].joined(separator: "\n") + "\n</svg>"
    }

    /// One labelled bar. Reserved is drawn from the left, allocated after it,
    /// used as a thin strip over the allocated part; every part is clipped to
    /// the capacity, and allocation beyond it turns the bar red (class "over").
    private static func barRow(index: Int, label: String, capacity: Double, reserved: Segment? = nil,
                               allocated: Segment, used: Segment? = nil) -> String {
        let top = Bar.rowHeight * Double(index)
        let barY = top + Bar.barTop
        var parts = [
            "<text x=\"0\" y=\"\(svgNumber(top + Bar.labelBaseline))\">\(escaped(label))</text>",
            rect("track", x: 0, y: barY, width: Bar.width, height: Bar.height, title: "capacity"),
        ]
        // Without a capacity there is nothing to scale against: show the empty track only.
        guard capacity > 0 else { return parts.joined(separator: "\n") }
        let scale = Bar.width / capacity
        let reservedAmount = reserved?.amount ?? 0
        let reservedWidth = min(reservedAmount, capacity) * scale
        if let reserved, reservedWidth > 0 {
            parts.append(rect("reserved", x: 0, y: barY, width: reservedWidth, height: Bar.height,
                              title: reserved.title))
        }
        let room = Bar.width - reservedWidth
        let allocatedWidth = min(allocated.amount * scale, room)
        if allocatedWidth > 0 {
            let overcommitted = reservedAmount + allocated.amount > capacity
            parts.append(rect(overcommitted ? "allocated over" : "allocated", x: reservedWidth, y: barY,
                              width: allocatedWidth, height: Bar.height, title: allocated.title))
        }
        if let used, case let usedWidth = min(used.amount * scale, room), usedWidth > 0 {
            parts.append(rect("used", x: reservedWidth, y: barY + Bar.height / 4, width: usedWidth,
                              height: Bar.height / 2, title: used.title))
        }
        return parts.joined(separator: "\n")
    }

    private static func rect(_ className: String, x: Double, y: Double, width: Double, height: Double,
                             title: String) -> String {
        "<rect class=\"\(className)\" x=\"\(svgNumber(x))\" y=\"\(svgNumber(y))\" "
            + "width=\"\(svgNumber(width))\" height=\"\(svgNumber(height))\"><title>\(escaped(title))</title></rect>"
    }

    private static func svgNumber(_ value: Double) -> String {
        decimal(value, places: 1)
    }

    // MARK: Escaping

    /// Escapes text for HTML element content and quoted attribute values.
    /// Characters HTML5 forbids (controls, noncharacters) become U+FFFD so
    /// a hostile error message cannot make the page invalid either.
    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r", "\u{0C}": out.unicodeScalars.append(scalar)
            default:
                let properties = scalar.properties
                let forbidden = properties.generalCategory == .control || properties.isNoncharacterCodePoint
                out.unicodeScalars.append(forbidden ? "\u{FFFD}" : scalar)
            }
        }
        return out
    }

    // MARK: Style

    /// Inline on purpose: the page must not fetch anything.
    private static let pageStyle = """

        body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #111827; }
        h1 { margin-bottom: 0.2em; }
        .generated { color: #6b7280; margin-top: 0; }
        .summary { font-weight: 600; }
        .unknown-guests { color: #92400e; }
        section.host { margin: 1em 0; }
        section.host h3 { margin: 0.3em 0; }
        section.host .state { font-weight: normal; color: #6b7280; }
        section.unreachable { filter: grayscale(1); opacity: 0.6; }
        .error { color: #b91c1c; font-family: ui-monospace, monospace; white-space: pre-wrap; }
        svg.bars { max-width: 100%; height: auto; }
        svg text { font: 12px system-ui, sans-serif; fill: #374151; }
        .track { fill: #e5e7eb; }
        .reserved { fill: #9ca3af; background: #9ca3af; }
        .allocated { fill: #3b82f6; background: #3b82f6; }
        .used { fill: #1e3a8a; background: #1e3a8a; }
        .over { fill: #dc2626; background: #dc2626; }
        .swatch { display: inline-block; width: 0.9em; height: 0.9em; margin: 0 0.3em 0 1em; vertical-align: middle; }
        .legend .swatch:first-child { margin-left: 0; }
        table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
        th, td { border: 1px solid #d1d5db; padding: 0.25em 0.6em; text-align: left; white-space: nowrap; }
        th { background: #f3f4f6; }
        tr.unreachable td { color: #9ca3af; }
        tr.cordoned td:nth-child(3) { font-style: italic; }
        tr.drifted td { background: #fef3c7; }
        tr.drifted td:nth-child(6) { color: #b45309; font-weight: 600; }

        """
}
