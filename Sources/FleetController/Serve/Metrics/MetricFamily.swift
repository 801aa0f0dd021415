/// One metric of the exposition: its name, help, type and series, as the
/// Prometheus text format (version 0.0.4) groups them.
public struct MetricFamily: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case gauge, counter, histogram
    }

    /// One labelled series: a value, or a histogram's buckets.
    public enum Series: Sendable, Equatable {
        case value(labels: [MetricLabel], Double)
        case histogram(labels: [MetricLabel], Histogram)
    }

    public var name: String
    public var help: String
    public var kind: Kind
    public var series: [Series]

    public init(name: String, help: String, kind: Kind, series: [Series]) {
        self.name = name
        self.help = help
        self.kind = kind
        self.series = series
    }

    /// A gauge or counter with one unlabelled value.
    public static func single(_ name: String, _ help: String, _ kind: Kind = .gauge, _ value: Double) -> MetricFamily {
        MetricFamily(name: name, help: help, kind: kind, series: [.value(labels: [], value)])
    }
}

public struct MetricLabel: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}
