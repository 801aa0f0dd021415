import Foundation

/// A write of one key, attached to a lease (0: none); `previous` asks for
/// the value it replaced.
public struct EtcdPutRequest: Sendable, Equatable, Encodable {
    public var key: Data
    public var value: Data
    public var lease: Int64
    public var previous: Bool

    public init(key: Data, value: Data, lease: Int64 = 0, previous: Bool = false) {
        self.key = key
        self.value = value
        self.lease = lease
        self.previous = previous
    }

    public init(_ key: String, _ value: String, lease: Int64 = 0, previous: Bool = false) {
        self.init(key: Data(key.utf8), value: Data(value.utf8), lease: lease, previous: previous)
    }

    enum CodingKeys: String, CodingKey { case key, value, lease, previous = "prev_kv" }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(key, forKey: .key)
        try c.encodeBytes(value, forKey: .value)
        try c.encodeInt64(lease, forKey: .lease)
        try c.encodeFlag(previous, forKey: .previous)
    }
}
