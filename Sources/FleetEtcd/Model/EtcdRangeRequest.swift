import Foundation

/// A read of one key or a range: at most `limit` keys (0: all), as of
/// `revision` (0: the newest), linearizable unless `serializable`.
public struct EtcdRangeRequest: Sendable, Equatable, Encodable {
    public var range: EtcdKeyRange
    public var limit: Int64
    public var revision: Int64
    public var serializable: Bool
    public var keysOnly: Bool
    public var countOnly: Bool

    public init(_ range: EtcdKeyRange, limit: Int64 = 0, revision: Int64 = 0, serializable: Bool = false, keysOnly: Bool = false, countOnly: Bool = false) {
        self.range = range
        self.limit = limit
        self.revision = revision
        self.serializable = serializable
        self.keysOnly = keysOnly
        self.countOnly = countOnly
    }

    enum CodingKeys: String, CodingKey {
        case key, rangeEnd = "range_end", limit, revision, serializable, keysOnly = "keys_only", countOnly = "count_only"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(range.key, forKey: .key)
        try c.encodeBytes(range.end, forKey: .rangeEnd)
        try c.encodeInt64(limit, forKey: .limit)
        try c.encodeInt64(revision, forKey: .revision)
        try c.encodeFlag(serializable, forKey: .serializable)
        try c.encodeFlag(keysOnly, forKey: .keysOnly)
        try c.encodeFlag(countOnly, forKey: .countOnly)
    }
}
