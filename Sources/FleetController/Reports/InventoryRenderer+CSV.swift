import FleetProtocol
import Foundation

extension InventoryRenderer {
    /// Column names of `csv(_:)`: one table for hosts and guests, told apart by `kind`,
    /// so a spreadsheet can filter on one column.
    static let csvHeader = [
        "kind", "name", "host", "reachable", "state", "desired", "actual", "drift",
        "memory_capacity", "memory_allocated", "memory_used",
        "cpu_capacity_millis", "cpu_allocated_millis", "cpu_seconds",
        "disk_capacity", "disk_allocated", "guests", "uptime_seconds", "template", "error",
    ]

    /// CSV (RFC 4180, "\n" line ends): the header, one row per host, one per guest.
    /// Numbers are plain integers or decimals (bytes, thousandths of a CPU,
    /// seconds); a cell is empty where the value is unknown or does not apply.
    public static func csv(_ r: InventoryReport) -> String {
        let rows = [csvHeader] + r.hosts.map(csvRow) + r.guests.map(csvRow)
        return rows.map { $0.map(csvField).joined(separator: ",") + "\n" }.joined()
    }

    private static func csvRow(_ h: HostReport) -> [String] {
        let cells: [String: String] = [
            "kind": "host",
            "name": h.name,
            "reachable": String(h.reachable),
            "state": h.cordoned ? "\(h.state),cordoned" : h.state,
            "memory_capacity": String(h.capacity.memoryBytes),
            "memory_allocated": String(h.allocated.memoryBytes),
            "memory_used": number(h.usedMemoryBytes),
            "cpu_capacity_millis": String(h.capacity.cpuMillis),
            "cpu_allocated_millis": String(h.allocated.cpuMillis),
            "cpu_seconds": number(h.usedCPUSeconds),
            "disk_capacity": String(h.capacity.diskBytes),
            "disk_allocated": String(h.allocated.diskBytes),
            "guests": String(h.guestCount),
            "error": h.error ?? "",
        ]
        return inHeaderOrder(cells)
    }

    private static func csvRow(_ g: GuestReport) -> [String] {
        let cells: [String: String] = [
            "kind": "guest",
            "name": g.name,
            "host": g.host ?? "",
            "desired": g.desiredState,
            "actual": g.actualState,
            "drift": String(g.drift),
            // A guest's capacity is its limit; what it is allocated is what the scheduler reserves for it.
            "memory_capacity": number(g.limits.memoryBytes),
            "memory_allocated": String(g.reserved.memoryBytes),
            "memory_used": number(g.memoryBytes),
            "cpu_capacity_millis": number(g.limits.cpuMillis),
            "cpu_allocated_millis": String(g.reserved.cpuMillis),
            "cpu_seconds": number(g.cpuSeconds),
            "disk_allocated": String(g.reserved.diskBytes),
            "uptime_seconds": number(g.uptimeSeconds),
            "template": g.template,
            // The one free-text column says what is wrong with the row: for a guest, its drift.
            "error": g.driftReason ?? "",
        ]
        return inHeaderOrder(cells)
    }

    /// Cells are named rather than positional so a row cannot shift a column;
    /// the assertion catches a misspelt name in debug builds and tests.
    private static func inHeaderOrder(_ cells: [String: String]) -> [String] {
        assert(cells.keys.allSatisfy(csvHeader.contains), "unknown CSV column in \(cells.keys.sorted())")
        return csvHeader.map { cells[$0] ?? "" }
    }

    private static func number<N: BinaryInteger>(_ value: N?) -> String {
        value.map { String($0) } ?? ""
    }

    private static func number(_ value: Double?) -> String {
        value.map { decimal($0, places: 3) } ?? ""
    }

    /// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
    static func csvField(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
