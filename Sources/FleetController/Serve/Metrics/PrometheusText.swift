/// Writes metric families in the Prometheus text exposition format,
/// version 0.0.4 (what `promtool check metrics` and every Prometheus server
/// read). A small encoder of our own rather than swift-prometheus: the
/// format is a few rules (below), and the two packages it would add cost
/// every clean build minutes (docs/ARCHITECTURE.md, vfleet serve).
///
/// Rules kept here: names match `[a-zA-Z_:][a-zA-Z0-9_:]*` and label names
/// `[a-zA-Z_][a-zA-Z0-9_]*` (refused otherwise: a bad name would make the
/// whole scrape fail); a counter's name ends in `_total`; HELP escapes `\`
/// and newlines, label values also `"`; a histogram writes cumulative
/// `_bucket` series ending in `le="+Inf"`, then `_sum` and `_count`.
public enum PrometheusText {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func encode(_ families: [MetricFamily]) -> String {
        var out = ""
        out.reserveCapacity(families.count * 128)
        for f in families { append(f, to: &out) }
        return out
    }

    public static func append(_ f: MetricFamily, to out: inout String) {
        precondition(validName(f.name), "metric name \(f.name) is not a Prometheus name")
        precondition(f.kind != .counter || f.name.hasSuffix("_total"), "counter \(f.name) must end in _total")
        out += "# HELP \(f.name) \(escapeHelp(f.help))\n# TYPE \(f.name) \(f.kind.rawValue)\n"
        // Appended piece by piece: a fleet's exposition is megabytes, and
        // temporary strings per sample were most of its cost.
        for s in f.series {
            switch s {
            case .value(let labels, let v):
                out.append(f.name)
                appendLabels(labels, to: &out)
                out.append(" ")
                out.append(number(v))
                out.append("\n")
            case .histogram(let labels, let h):
                precondition(f.kind == .histogram, "histogram series in \(f.kind.rawValue) \(f.name)")
                for (bound, n) in h.cumulative {
                    out.append(f.name)
                    out.append("_bucket")
                    appendLabels(labels, le: number(bound), to: &out)
                    out.append(" \(n)\n")
                }
                out.append(f.name)
                out.append("_bucket")
                appendLabels(labels, le: "+Inf", to: &out)
                out.append(" \(h.count)\n")
                out.append(f.name)
                out.append("_sum")
                appendLabels(labels, to: &out)
                out.append(" ")
                out.append(number(h.sum))
                out.append("\n")
                out.append(f.name)
                out.append("_count")
                appendLabels(labels, to: &out)
                out.append(" \(h.count)\n")
            }
        }
    }

    static func labelText(_ labels: [MetricLabel]) -> String {
        var out = ""
        appendLabels(labels, to: &out)
        return out
    }

    /// `{name="value",…}` (nothing without labels), with `le` last if given.
    static func appendLabels(_ labels: [MetricLabel], le: String? = nil, to out: inout String) {
        if labels.isEmpty && le == nil { return }
        out.append("{")
        var first = true
        for l in labels {
            precondition(validLabelName(l.name), "label name \(l.name) is not a Prometheus label name")
            if !first { out.append(",") }
            first = false
            out.append(l.name)
            out.append("=\"")
            appendEscapedLabelValue(l.value, to: &out)
            out.append("\"")
        }
        if let le {
            if !first { out.append(",") }
            out.append("le=\"")
            out.append(le)
            out.append("\"")
        }
        out.append("}")
    }

    /// Integers without a fraction (Go's ParseFloat reads either), the
    /// special values as Prometheus spells them.
    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 9.007199254740992e15 { return String(Int64(v)) }
        return "\(v)"
    }

    static func escapeLabelValue(_ s: String) -> String {
        var out = ""
        appendEscapedLabelValue(s, to: &out)
        return out
    }

    static func appendEscapedLabelValue(_ s: String, to out: inout String) {
        // Names of hosts and guests never need escaping: no scan by Character.
        if !s.utf8.contains(where: { $0 == 92 || $0 == 34 || $0 == 10 }) {
            out.append(s)
            return
        }
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
    }

    static func escapeHelp(_ s: String) -> String {
        s.replacingAll("\\", with: "\\\\").replacingAll("\n", with: "\\n")
    }

    static func validName(_ s: String) -> Bool {
        guard let first = s.utf8.first, isLetter(first) || first == 95 || first == 58 else { return false }
        return s.utf8.allSatisfy { isLetter($0) || isDigit($0) || $0 == 95 || $0 == 58 }
    }

    static func validLabelName(_ s: String) -> Bool {
        guard let first = s.utf8.first, isLetter(first) || first == 95 else { return false }
        return s.utf8.allSatisfy { isLetter($0) || isDigit($0) || $0 == 95 }
    }

    private static func isLetter(_ b: UInt8) -> Bool { (65...90).contains(b) || (97...122).contains(b) }
    private static func isDigit(_ b: UInt8) -> Bool { (48...57).contains(b) }
}

private extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
