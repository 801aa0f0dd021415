import Foundation

/// The body of a lease revoke or keep-alive: the lease's id.
struct LeaseIDBody: Encodable {
    let id: Int64

    enum CodingKeys: String, CodingKey { case id = "ID" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(String(id), forKey: .id)
    }
}
