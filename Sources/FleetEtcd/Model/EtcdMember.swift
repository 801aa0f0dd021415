import Foundation

/// A member of the etcd cluster, as member list reports it.
public struct EtcdMember: Sendable, Equatable, Decodable {
    public let id: UInt64
    public let name: String
    public let peerURLs: [String]
    public let clientURLs: [String]
    public let isLearner: Bool

    enum CodingKeys: String, CodingKey { case id = "ID", name, peerURLs, clientURLs, isLearner }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.uint64(.id)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        peerURLs = try c.list(.peerURLs)
        clientURLs = try c.list(.clientURLs)
        isLearner = try c.flag(.isLearner)
    }
}
