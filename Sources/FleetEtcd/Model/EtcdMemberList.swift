import Foundation

/// The answer to member list.
struct EtcdMemberList: Decodable {
    let members: [EtcdMember]

    enum CodingKeys: String, CodingKey { case members }

    init(from decoder: any Decoder) throws {
        members = try decoder.container(keyedBy: CodingKeys.self).list(.members)
    }
}
