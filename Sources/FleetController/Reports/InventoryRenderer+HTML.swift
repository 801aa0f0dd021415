import FleetProtocol

extension InventoryRenderer {
    /// One self-contained HTML5 page, readable on one screen at 500 hosts:
    /// the fleet's summary (memory and CPU capacity, allocated, used; hosts,
    /// guests, drift; unreachable hosts by name), a heat map of the hosts by
    /// memory use, then tables of hosts and guests that sort by a click on a
    /// column's header and filter by a text box (inline script, no server).
    /// Nothing is loaded from elsewhere, so the page can be mailed or archived
    /// and still open offline; without script it is the same page, unsorted.
    /// All text from the model is escaped.
    public static func html(_ r: InventoryReport) -> String {
        // ~130 bytes a guest row, ~250 a host's row and cell: one allocation for the whole page.
        var body = ""
        body.reserveCapacity(8_192 + 400 * r.hosts.count + 160 * r.guests.count)
        body += "<body>\n<header><h1>vfleet inventory</h1>"
        body += generatedParagraph(r.generatedAt, summary: r.summary) + "</header>\n"
        let totals = InventoryFleetTotals(r)
        overview(r, totals, into: &body)
        heatMap(r.hosts, into: &body)
        var tableStyle = ""
        hostsListing(r.hosts, into: &body, style: &tableStyle)
        guestsListing(r.guests, into: &body, style: &tableStyle)
        body += "<script>\(InventoryPageAssets.script)</script>\n</body>\n</html>\n"
        let page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>vfleet inventory</title>
            <style>\(InventoryPageAssets.style)\(tableStyle)</style>
            </head>

            """
        return page + body
    }

    private static func generatedParagraph(_ generatedAt: Double, summary: InventoryReport.Summary) -> String {
        let time = isoTime(generatedAt)
        let line = escaped(summaryLine(summary))
        // <time datetime> must hold a valid date, so a bad timestamp is plain text.
        guard time != "unknown" else { return "<p class=\"generated\">Generated at an unknown time · \(line)</p>\n" }
        return "<p class=\"generated\">Generated <time datetime=\"\(time)\">\(time)</time> (UTC) · \(line)</p>\n"
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

    /// A share in per cent for a CSS width or a label, 0...100 (0 without a whole).
    static func percent<N: BinaryInteger>(_ part: N, of whole: N) -> Double {
        guard whole > 0 else { return 0 }
        return min(100, max(0, Double(part) / Double(whole) * 100))
    }
}
