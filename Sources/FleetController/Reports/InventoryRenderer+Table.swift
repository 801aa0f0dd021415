import FleetProtocol

extension InventoryRenderer {
    /// Two aligned tables for a terminal: HOSTS, one line per unreachable host
    /// with its error, GUESTS, one line per drifted guest with its reason, then
    /// the summary and the hosts' unknown guests.
    ///
    /// Every line fits `width` columns (0: no limit): free text in a table
    /// (names, states) is cut with "…" when the row would be wider, figures
    /// never are; the sentences below a table wrap. Only columns the caller
    /// picked too many of to fit even cut stay wider.
    public static func table(_ r: InventoryReport, columns: InventoryColumns = .standard, width: Int = 80) -> String {
        var lines: [String] = []
        if !columns.hosts.isEmpty {
            lines.append("HOSTS")
            lines += r.hosts.isEmpty ? ["(none enrolled)"] : fitted(
                header: columns.hosts.map(\.header), shrinkable: columns.hosts.map(\.shrinkable),
                rows: r.hosts.map { h in columns.hosts.map { $0.cell(h) } }, width: width)
            let unreachable = r.hosts.filter { !$0.reachable }
            if !unreachable.isEmpty {
                lines.append("")
                lines += unreachable.flatMap { wrapped(unreachableLine($0), width: width) }
            }
        }
        if !columns.guests.isEmpty {
            if !lines.isEmpty { lines.append("") }
            lines.append("GUESTS")
            lines += r.guests.isEmpty ? ["(none)"] : fitted(
                header: columns.guests.map(\.header), shrinkable: columns.guests.map(\.shrinkable),
                rows: r.guests.map { g in columns.guests.map { $0.cell(g) } }, width: width)
            // The reason has its own column only when asked for; otherwise it is said here.
            let drifted = columns.guests.contains(.reason) ? [] : r.guests.filter(\.drift)
            if !drifted.isEmpty {
                lines.append("")
                lines += drifted.flatMap { wrapped(driftLine($0), width: width) }
            }
        }
        lines += ["", summaryLine(r.summary)]
        lines += unknownGuestLines(r).flatMap { wrapped($0, width: width) }
        return lines.joined(separator: "\n") + "\n"
    }

    static func driftLine(_ g: GuestReport) -> String {
        "guest \(g.name) drifted: \(g.driftReason ?? "desired \(g.desiredState), actual \(g.actualState)")"
    }

    /// Pads every column to its width, two spaces apart; the last column is not
    /// padded so lines carry no trailing blanks. When the row is wider than
    /// `width`, the widest shrinkable column gives up a character at a time
    /// (down to its header's width) and cells longer than their column end in "…".
    static func fitted(header: [String], shrinkable: [Bool], rows rawRows: [[String]], width: Int) -> [String] {
        // Names and errors come from hosts and agents; a stray escape sequence
        // must not reach the terminal. Made safe before measuring: "\r\n" is one
        // Character but two spaces.
        let rows = ([header] + rawRows).map { $0.map(terminalSafe) }
        var widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        let separators = 2 * (header.count - 1)
        if width > 0 {
            var excess = widths.reduce(separators, +) - width
            while excess > 0 {
                let candidates = header.indices.filter { shrinkable[$0] && widths[$0] > max(header[$0].count, 2) }
                guard let widest = candidates.max(by: { widths[$0] < widths[$1] }) else { break }
                widths[widest] -= 1
                excess -= 1
            }
        }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let fitting = cell.count > widths[column] ? String(cell.prefix(widths[column] - 1)) + "…" : cell
                return column == row.count - 1 ? fitting : fitting + String(repeating: " ", count: widths[column] - fitting.count)
            }.joined(separator: "  ")
        }
    }

    /// Breaks a sentence at spaces into lines of at most `width` characters;
    /// later lines are indented two spaces, and a word longer than a line is cut.
    static func wrapped(_ rawText: String, width: Int) -> [String] {
        let text = terminalSafe(rawText)
        let indent = "  "
        guard width > indent.count, text.count > width else { return [text] }
        var lines: [String] = []
        var line = ""
        for whole in text.split(separator: " ") {
            var word = Substring(whole)
            while !word.isEmpty {
                let prefix = line.isEmpty ? (lines.isEmpty ? "" : indent) : line + " "
                if prefix.count + word.count <= width {
                    line = prefix + word
                    break
                }
                if !line.isEmpty {
                    lines.append(line)
                    line = ""
                    continue
                }
                // Alone on its line and still too long: cut it.
                let room = width - prefix.count
                lines.append(prefix + word.prefix(room))
                word = word.dropFirst(room)
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines
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
