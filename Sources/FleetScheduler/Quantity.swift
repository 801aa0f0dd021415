/// Arithmetic and wording for resource amounts. Sums saturate instead of
/// trapping: a malformed host or guest must yield a refusal, not bring the
/// controller down.
enum Quantity {
    /// Large enough for any real fleet (a billion CPUs), small enough that
    /// sums of many such values cannot overflow an Int.
    static let cpuCeiling = 1 << 40

    static func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    static func subtract(_ a: UInt64, _ b: UInt64) -> UInt64 {
        a > b ? a - b : 0
    }

    /// CPU millis as people say it: 2000 → "2", 1500 → "1.5", 250 → "0.25".
    static func cpus(_ millis: Int) -> String {
        let sign = millis < 0 ? "-" : ""
        let magnitude = millis.magnitude
        let whole = magnitude / 1000
        var fraction = magnitude % 1000
        if fraction == 0 { return "\(sign)\(whole)" }
        var digits = 3
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let padded = String(repeating: "0", count: digits - String(fraction).count) + String(fraction)
        return "\(sign)\(whole).\(padded)"
    }

    /// The overcommit factor without trailing zeros: 1.5 → "1.5", 2.0 → "2".
    static func factor(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
