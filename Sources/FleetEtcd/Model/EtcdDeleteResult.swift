import Foundation

/// The answer to a delete: how many keys went, and their last values when asked.
public struct EtcdDeleteResult: Sendable, Equatable, Decodable {
    public let header: EtcdResponseHeader
    public let deleted: Int64
    public let previous: [EtcdKeyValue]

    enum CodingKeys: String, CodingKey { case header, deleted, previous = "prev_kvs" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        header = try c.decodeIfPresent(EtcdResponseHeader.self, forKey: .header) ?? EtcdResponseHeader()
        deleted = try c.int64(.deleted)
        previous = try c.list(.previous)
    }
}
