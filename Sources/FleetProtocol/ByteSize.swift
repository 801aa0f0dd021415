/// Sizes as operators write them: 512, 64K, 256M, 1.5G, 2T (powers of 1024;
/// "MB", "MiB" and lower case are accepted too).
public enum ByteSize {
    public static func parse(_ text: String) -> UInt64? {
        var s = text.trimmingSpaces().lowercased()
        guard !s.isEmpty else { return nil }
        for suffix in ["ib", "b"] where s.hasSuffix(suffix) && s.count > suffix.count {
            let stem = s.dropLast(suffix.count)
            if let last = stem.last, "kmgt".contains(last) || suffix == "b" { s = String(stem); break }
        }
        var multiplier: Double = 1
        if let last = s.last, let power = "kmgt".firstIndex(of: last) {
            multiplier = pow1024("kmgt".distance(from: "kmgt".startIndex, to: power) + 1)
            s.removeLast()
        }
        guard !s.isEmpty, s.allSatisfy({ $0.isNumber || $0 == "." }), let value = Double(s), value >= 0 else { return nil }
        let bytes = value * multiplier
        guard bytes < 1.8e19 else { return nil }
        return UInt64(bytes.rounded())
    }

    /// Formats for people: 268435456 → "256M".
    public static func format(_ bytes: UInt64) -> String {
        let units = ["", "K", "M", "G", "T", "P"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes)" }
        if value == value.rounded() || value >= 100 { return "\(Int(value.rounded()))\(units[unit])" }
        let tenths = (value * 10).rounded() / 10
        return "\(tenths)\(units[unit])"
    }

    private static func pow1024(_ n: Int) -> Double {
        (0..<n).reduce(1.0) { acc, _ in acc * 1024 }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s = s.dropFirst() }
        while let c = s.last, c.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
