import Foundation

/// The body that opens a watch: `{"create_request": {key, range_end, start_revision, prev_kv}}`.
struct WatchCreateBody: Encodable {
    let range: EtcdKeyRange
    let startRevision: Int64
    let previousValues: Bool

    enum OuterKeys: String, CodingKey { case createRequest = "create_request" }
    enum CodingKeys: String, CodingKey { case key, rangeEnd = "range_end", startRevision = "start_revision", previousValues = "prev_kv" }

    func encode(to encoder: any Encoder) throws {
        var outer = encoder.container(keyedBy: OuterKeys.self)
        var c = outer.nestedContainer(keyedBy: CodingKeys.self, forKey: .createRequest)
        try c.encode(range.key, forKey: .key)
        try c.encodeBytes(range.end, forKey: .rangeEnd)
        try c.encodeInt64(startRevision, forKey: .startRevision)
        try c.encodeFlag(previousValues, forKey: .previousValues)
    }
}
