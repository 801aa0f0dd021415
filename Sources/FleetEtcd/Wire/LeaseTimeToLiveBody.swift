import Foundation

/// The body of a lease time-to-live query.
struct LeaseTimeToLiveBody: Encodable {
    let id: Int64
    let keys: Bool

    enum CodingKeys: String, CodingKey { case id = "ID", keys }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(String(id), forKey: .id)
        try c.encodeFlag(keys, forKey: .keys)
    }
}
