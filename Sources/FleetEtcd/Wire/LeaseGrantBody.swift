import Foundation

/// The body of a lease grant: the TTL in seconds (etcd picks the id).
struct LeaseGrantBody: Encodable {
    let ttl: Int64

    enum CodingKeys: String, CodingKey { case ttl = "TTL" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(String(ttl), forKey: .ttl)
    }
}
