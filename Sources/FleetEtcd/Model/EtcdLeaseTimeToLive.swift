import Foundation

/// What etcd knows of a lease: seconds left (-1 once it expired or was
/// revoked), what it was granted, and the keys attached to it.
public struct EtcdLeaseTimeToLive: Sendable, Equatable, Decodable {
    public let id: Int64
    public let ttl: Int64
    public let grantedTTL: Int64
    public let keys: [Data]

    enum CodingKeys: String, CodingKey { case id = "ID", ttl = "TTL", grantedTTL, keys }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.int64(.id)
        ttl = try c.int64(.ttl)
        grantedTTL = try c.int64(.grantedTTL)
        keys = try c.list(.keys)
    }

    public var isExpired: Bool { ttl < 0 }
}
