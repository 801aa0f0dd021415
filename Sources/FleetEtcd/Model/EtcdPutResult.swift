import Foundation

/// The answer to a put: the revision it made, and the previous value when asked.
public struct EtcdPutResult: Sendable, Equatable, Decodable {
    public let header: EtcdResponseHeader
    public let previous: EtcdKeyValue?

    enum CodingKeys: String, CodingKey { case header, previous = "prev_kv" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        header = try c.decodeIfPresent(EtcdResponseHeader.self, forKey: .header) ?? EtcdResponseHeader()
        previous = try c.decodeIfPresent(EtcdKeyValue.self, forKey: .previous)
    }
}
