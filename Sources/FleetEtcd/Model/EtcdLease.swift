import Foundation

/// A lease: its id and the seconds it has left (as granted, or as
/// refreshed by a keep-alive).
public struct EtcdLease: Sendable, Equatable, Decodable {
    public let id: Int64
    public let ttl: Int64

    public init(id: Int64, ttl: Int64) {
        self.id = id
        self.ttl = ttl
    }

    enum CodingKeys: String, CodingKey { case id = "ID", ttl = "TTL" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.int64(.id)
        ttl = try c.int64(.ttl)
    }
}
