import FleetProtocol

extension InventoryRenderer {
    /// Two aligned tables for a terminal: HOSTS, one line per unreachable host
    /// with its error, GUESTS, then the summary and the hosts' unknown guests.
    public static func table(_ r: InventoryReport) -> String {
        var lines: [String] = ["HOSTS"]
        lines += r.hosts.isEmpty ? ["(none enrolled)"] : aligned([hostHeader] + r.hosts.map(hostRow))
        let unreachable = r.hosts.filter { !$0.reachable }
        if !unreachable.isEmpty {
            lines.append("")
            lines += unreachable.map(unreachableLine)
        }
        lines += ["", "GUESTS"]
        lines += r.guests.isEmpty ? ["(none)"] : aligned([guestHeader] + r.guests.map(guestRow))
        lines += ["", summaryLine(r.summary)]
        lines += unknownGuestLines(r)
        // Names and errors come from hosts and agents; a stray escape sequence
        // in them must not reach the operator's terminal.
        return lines.map(terminalSafe).joined(separator: "\n") + "\n"
    }

    private static let hostHeader = ["NAME", "STATE", "KERNEL", "MEMORY", "MEM USED", "CPU", "DISK", "GUESTS"]
    private static let guestHeader = [
        "NAME", "HOST", "DESIRED", "ACTUAL", "DRIFT", "MEMORY", "CPU S", "UPTIME", "TEMPLATE",
    ]

    private static func hostRow(_ h: HostReport) -> [String] {
        [
            h.name,
            hostStateText(h),
            h.kernel ?? missing,
            "\(bytes(h.allocated.memoryBytes))/\(bytes(h.capacity.memoryBytes))",
            bytes(h.usedMemoryBytes),
            "\(cpus(h.allocated.cpuMillis))/\(cpus(h.capacity.cpuMillis))",
            "\(bytes(h.allocated.diskBytes))/\(bytes(h.capacity.diskBytes))",
            String(h.guestCount),
        ]
    }

    private static func guestRow(_ g: GuestReport) -> [String] {
        [
            g.name,
            g.host ?? missing,
            g.desiredState,
            g.actualState,
            g.drift ? "*" + (g.driftReason ?? "") : "",
            "\(bytes(g.memoryBytes))/\(bytes(g.limits.memoryBytes))",
            seconds(g.cpuSeconds),
            duration(g.uptimeSeconds),
            g.template,
        ]
    }

    /// Pads every column to its widest cell, two spaces apart; the last column
    /// is not padded so lines carry no trailing blanks.
    private static func aligned(_ rawRows: [[String]]) -> [String] {
        // Made safe before measuring: "\r\n" is one Character but two spaces.
        let rows = rawRows.map { $0.map(terminalSafe) }
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in
            rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0
        }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined(separator: "  ")
        }
    }

    /// Control characters become spaces (line breaks, tabs) or "?" (escapes),
    /// which also keeps a multi-line error on its one line.
    static func terminalSafe(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var safe = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if !isControl(scalar) {
                safe.append(scalar)
            } else {
                safe.append(scalar.properties.isWhitespace ? " " : "?")
            }
        }
        return String(safe)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control
    }
}
