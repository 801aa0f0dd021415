import Foundation

/// The answer to a range: the keys (up to the limit), how many match in all,
/// and whether the limit left some out.
public struct EtcdRangeResult: Sendable, Equatable, Decodable {
    public let header: EtcdResponseHeader
    public let kvs: [EtcdKeyValue]
    public let count: Int64
    public let more: Bool

    enum CodingKeys: String, CodingKey { case header, kvs, count, more }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        header = try c.decodeIfPresent(EtcdResponseHeader.self, forKey: .header) ?? EtcdResponseHeader()
        kvs = try c.list(.kvs)
        count = try c.int64(.count)
        more = try c.flag(.more)
    }
}
