/// Durations as operators write them: 10s, 500ms, 2m, 1h, 90d, or plain seconds.
public enum DurationText {
    public static func seconds(_ text: String) -> Double? {
        let s = text.trimmingSpaces().lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        for (suffix, factor) in units where s.hasSuffix(suffix) {
            let stem = s.dropLast(suffix.count)
            // "ms" must not be read as "m" + "s".
            if suffix == "s", stem.hasSuffix("m") { continue }
            if let v = Double(stem), v >= 0 { return v * factor }
            return nil
        }
        if let v = Double(s), v >= 0 { return v }
        return nil
    }
}
