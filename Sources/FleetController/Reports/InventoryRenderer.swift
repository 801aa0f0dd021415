import FleetProtocol
import Foundation
import Yams

/// Turns an `InventoryReport` into text for `vfleet inventory --format …`.
///
/// Every renderer is a pure function of the report, so the CLI, tests and a
/// future HTTP endpoint all print the same thing. Every output ends with one
/// newline, so the caller writes it as is.
///
/// The table lives in +Table, CSV in +CSV, HTML in +HTML; the helpers below are
/// shared so a number reads the same in the terminal and in the HTML page.
public enum InventoryRenderer {
    /// JSON: pretty-printed, sorted keys (the Codable model as is).
    /// Throws only if a number is not finite (JSON has no NaN).
    public static func json(_ r: InventoryReport) throws -> String {
        let encoder = JSONEncoder()
        // Sorted keys keep the output stable, so two reports can be diffed.
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(r), as: UTF8.self) + "\n"
    }

    /// YAML via Yams' YAMLEncoder of the Codable model.
    public static func yaml(_ r: InventoryReport) throws -> String {
        let text = try YAMLEncoder().encode(r)
        return text.hasSuffix("\n") ? text : text + "\n"
    }
}

// MARK: - Shared wording and number formats

extension InventoryRenderer {
    /// Shown wherever the report has no value (unreachable host, stopped guest).
    static let missing = "-"

    /// "3 hosts (2 reachable), 30 guests (28 running), 1 drifted".
    static func summaryLine(_ s: InventoryReport.Summary) -> String {
        "\(counted(s.hosts, "host")) (\(s.reachableHosts) reachable), "
            + "\(counted(s.guests, "guest")) (\(s.runningGuests) running), \(s.driftedGuests) drifted"
    }

    /// The hosts' guests the controller does not know, one sentence per host.
    /// We say "left alone" because the controller never deletes what it did not create.
    static func unknownGuestLines(_ r: InventoryReport) -> [String] {
        r.hosts.filter { !$0.unknownGuests.isEmpty }.map { host in
            "host \(host.name) runs guests the controller does not know: "
                + "\(host.unknownGuests.joined(separator: ", ")) (left alone)"
        }
    }

    static func unreachableLine(_ host: HostReport) -> String {
        guard let error = host.error, !error.isEmpty else { return "host \(host.name) unreachable" }
        return "host \(host.name) unreachable: \(error)"
    }

    /// Reachability first (what the operator must act on), then the scheduling state:
    /// "reachable", "UNREACHABLE,cordoned", "reachable,cordoned,evacuating".
    static func hostStateText(_ host: HostReport) -> String {
        var parts = [host.reachable ? "reachable" : "UNREACHABLE"]
        if host.cordoned { parts.append("cordoned") }
        // "active" is the normal case; printing it on every row would be noise.
        if host.state != "active" && !host.state.isEmpty { parts.append(host.state) }
        return parts.joined(separator: ",")
    }

    static func bytes(_ value: UInt64?) -> String {
        value.map(ByteSize.format) ?? missing
    }

    /// Thousandths of a CPU as CPUs: 1500 → "1.5", 4000 → "4".
    static func cpus(_ millis: Int?) -> String {
        guard let millis else { return missing }
        return decimal(Double(millis) / 1000, places: 3)
    }

    static func seconds(_ value: Double?) -> String {
        guard let value, value.isFinite else { return missing }
        return decimal(value, places: 1)
    }

    /// Uptime for people: "42s", "5m12s", "3h05m", "2d03h".
    static func duration(_ value: Double?) -> String {
        guard let value, value.isFinite, value >= 0, value < 1e15 else { return missing }
        let total = Int(value)
        let (days, hours, minutes, secs) = (total / 86400, total / 3600 % 24, total / 60 % 60, total % 60)
        if days > 0 { return "\(days)d\(twoDigits(hours))h" }
        if hours > 0 { return "\(hours)h\(twoDigits(minutes))m" }
        if minutes > 0 { return "\(minutes)m\(twoDigits(secs))s" }
        return "\(secs)s"
    }

    /// A plain decimal with at most `places` digits after the point and no
    /// trailing zeros. Written by hand because `description` switches to
    /// exponents ("1e-05") and prints whole numbers as "12.0".
    static func decimal(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return "" }
        let scale = (0..<places).reduce(1.0) { acc, _ in acc * 10 }
        let scaled = (abs(value) * scale).rounded()
        // Beyond 2^53 a Double has no fractional digits left to show.
        guard scaled < 9.0e15 else { return String(format: "%.0f", value) }
        let units = Int64(scaled)
        let whole = units / Int64(scale)
        // places 0: no fraction at all (units % 1 would still print one "0").
        var fraction = places > 0 ? String(units % Int64(scale)) : ""
        fraction = String(repeating: "0", count: max(0, places - fraction.count)) + fraction
        while fraction.last == "0" { fraction.removeLast() }
        let sign = value < 0 && units != 0 ? "-" : ""
        return fraction.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }

    /// "2026-01-05T10:00:00Z", or "unknown" for a timestamp that is not a date.
    static func isoTime(_ secondsSince1970: Double) -> String {
        guard secondsSince1970.isFinite, abs(secondsSince1970) < 1e11 else { return "unknown" }
        return Date(timeIntervalSince1970: secondsSince1970).ISO8601Format()
    }

    static func counted(_ n: Int, _ noun: String) -> String {
        "\(n) \(noun)\(n == 1 ? "" : "s")"
    }

    private static func twoDigits(_ n: Int) -> String {
        n < 10 ? "0\(n)" : "\(n)"
    }
}
