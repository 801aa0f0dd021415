import Foundation

/// Every answer's header: the store's revision when it was served, and who served it.
public struct EtcdResponseHeader: Sendable, Equatable, Decodable {
    public let clusterID: UInt64
    public let memberID: UInt64
    public let revision: Int64
    public let raftTerm: UInt64

    enum CodingKeys: String, CodingKey {
        case clusterID = "cluster_id", memberID = "member_id", revision, raftTerm = "raft_term"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        clusterID = try c.uint64(.clusterID)
        memberID = try c.uint64(.memberID)
        revision = try c.int64(.revision)
        raftTerm = try c.uint64(.raftTerm)
    }

    init() {
        clusterID = 0
        memberID = 0
        revision = 0
        raftTerm = 0
    }
}
