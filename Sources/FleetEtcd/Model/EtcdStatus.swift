import Foundation

/// One member's status: its version, database size, raft position, and the
/// leader it follows (0: none, no quorum).
public struct EtcdStatus: Sendable, Equatable, Decodable {
    public let header: EtcdResponseHeader
    public let version: String
    public let dbSize: Int64
    public let leader: UInt64
    public let raftIndex: UInt64
    public let raftTerm: UInt64

    enum CodingKeys: String, CodingKey { case header, version, dbSize, leader, raftIndex, raftTerm }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        header = try c.decodeIfPresent(EtcdResponseHeader.self, forKey: .header) ?? EtcdResponseHeader()
        version = try c.decodeIfPresent(String.self, forKey: .version) ?? ""
        dbSize = try c.int64(.dbSize)
        leader = try c.uint64(.leader)
        raftIndex = try c.uint64(.raftIndex)
        raftTerm = try c.uint64(.raftTerm)
    }

    /// Whether the member that answered is the leader.
    public var isLeader: Bool { leader != 0 && leader == header.memberID }
}
