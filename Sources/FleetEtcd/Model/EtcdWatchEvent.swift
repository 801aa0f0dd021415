import Foundation

/// One change a watch reports: a put (the new key-value) or a delete (the
/// key with the delete's mod revision), at `kv.modRevision`.
public struct EtcdWatchEvent: Sendable, Equatable, Decodable {
    public enum Kind: String, Sendable, Equatable {
        case put = "PUT", delete = "DELETE"
    }

    public let kind: Kind
    public let kv: EtcdKeyValue
    public let previous: EtcdKeyValue?

    enum CodingKeys: String, CodingKey { case type, kv, previous = "prev_kv" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // PUT is the enum's zero value, so the gateway leaves it out.
        let type = try c.decodeIfPresent(String.self, forKey: .type) ?? "PUT"
        guard let kind = Kind(rawValue: type) else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown watch event type '\(type)'")
        }
        self.kind = kind
        guard let kv = try c.decodeIfPresent(EtcdKeyValue.self, forKey: .kv) else {
            throw DecodingError.keyNotFound(CodingKeys.kv, .init(codingPath: c.codingPath, debugDescription: "watch event without kv"))
        }
        self.kv = kv
        previous = try c.decodeIfPresent(EtcdKeyValue.self, forKey: .previous)
    }

    /// The revision of the change.
    public var revision: Int64 { kv.modRevision }
}
