import Foundation

/// The body of a compaction: the first revision to keep; `physical` makes
/// etcd answer only once the old revisions are gone from its database.
struct CompactionBody: Encodable {
    let revision: Int64

    enum CodingKeys: String, CodingKey { case revision, physical }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(String(revision), forKey: .revision)
        try c.encode(true, forKey: .physical)
    }
}
