import Foundation

/// A delete of one key or a range; `previous` asks for the deleted values.
public struct EtcdDeleteRequest: Sendable, Equatable, Encodable {
    public var range: EtcdKeyRange
    public var previous: Bool

    public init(_ range: EtcdKeyRange, previous: Bool = false) {
        self.range = range
        self.previous = previous
    }

    enum CodingKeys: String, CodingKey { case key, rangeEnd = "range_end", previous = "prev_kv" }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(range.key, forKey: .key)
        try c.encodeBytes(range.end, forKey: .rangeEnd)
        try c.encodeFlag(previous, forKey: .previous)
    }
}
