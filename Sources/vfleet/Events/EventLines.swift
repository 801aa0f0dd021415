import FleetController
import Foundation

/// Events as `vfleet events` prints them: one line each, fixed columns
/// (so that followed lines stay aligned), or one JSON object per line.
enum EventLines {
    static let header = row("TIME", "ID", "OPERATOR", "ACTION", "TARGET", "OP", "OUTCOME", "SECONDS", "REASON / ERROR / DETAIL")

    static func row(_ cells: String...) -> String {
        let widths = [19, 6, 20, 17, 24, 5, 11, 8]
        return cells.enumerated().map { i, c in
            i < widths.count ? c.padding(toLength: max(widths[i], c.count), withPad: " ", startingAt: 0) : c
        }.joined(separator: " ")
    }

    static func line(_ e: StoredEvent) -> String {
        var target: [String] = []
        if let g = e.guest { target.append(g) }
        if let h = e.host { target.append(e.toHost.map { "\(h)→\($0)" } ?? "@\(h)") } else if let t = e.toHost { target.append("→\(t)") }
        if let t = e.template { target.append("template \(t)") }
        var notes: [String] = []
        if let r = e.reason { notes.append("reason: \(r)") }
        if let err = e.error { notes.append("error: \(err)") }
        if let d = e.detail { notes.append(d) }
        if let c = e.command { notes.append("(part of \(c))") }
        return row(time(e.at), String(e.id ?? 0), "\(e.user)@\(e.machine)", e.action, target.isEmpty ? "-" : target.joined(separator: " "),
                   e.operation.map(String.init) ?? "-", e.outcome.rawValue, String(format: "%.2f", e.seconds),
                   notes.joined(separator: "; ").replacingOccurrences(of: "\n", with: " "))
    }

    static func json(_ e: StoredEvent) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(e)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Local time, to the second.
    static func time(_ at: Double) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: Date(timeIntervalSince1970: at))
    }

    /// "events: vfleet events --guest web1" and the last few, for `guest
    /// show` and `ops show`.
    static func pointer(_ command: String, _ events: [StoredEvent]) -> [String] {
        ["events    \(command)" + (events.isEmpty ? " (none kept)" : "")] + events.map { "  " + line($0) }
    }
}
