import Foundation

/// A key and its value as etcd stores it, with the revisions that compares
/// and watches use.
public struct EtcdKeyValue: Sendable, Equatable, Decodable {
    public let key: Data
    public let value: Data
    /// The revision of the write that created the key (since its last delete).
    public let createRevision: Int64
    /// The revision of the last write to the key.
    public let modRevision: Int64
    /// Writes since creation (1 for a new key); 0 after a delete.
    public let version: Int64
    /// The lease the key is attached to, 0 for none.
    public let lease: Int64

    public init(key: Data, value: Data, createRevision: Int64, modRevision: Int64, version: Int64, lease: Int64) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.lease = lease
    }

    enum CodingKeys: String, CodingKey {
        case key, value, createRevision = "create_revision", modRevision = "mod_revision", version, lease
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.bytes(.key)
        value = try c.bytes(.value)
        createRevision = try c.int64(.createRevision)
        modRevision = try c.int64(.modRevision)
        version = try c.int64(.version)
        lease = try c.int64(.lease)
    }

    /// The key as text (vfleet's keys are UTF-8 paths).
    public var keyString: String { String(decoding: key, as: UTF8.self) }
    public var valueString: String { String(decoding: value, as: UTF8.self) }
}
