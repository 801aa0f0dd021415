import Foundation

/// One condition of a transaction: a key's value, version, create or mod
/// revision, or lease, compared with a given one. A key that does not exist
/// has version, create and mod revision 0, so `createRevision == 0` means
/// "the key is absent".
public struct EtcdCompare: Sendable, Equatable, Encodable {
    public enum Target: Sendable, Equatable {
        case value(Data)
        case version(Int64)
        case createRevision(Int64)
        case modRevision(Int64)
        case lease(Int64)
    }

    public enum Result: String, Sendable, Equatable {
        case equal = "EQUAL", notEqual = "NOT_EQUAL", greater = "GREATER", less = "LESS"
    }

    public var key: Data
    public var result: Result
    public var target: Target

    public init(key: Data, _ result: Result, _ target: Target) {
        self.key = key
        self.result = result
        self.target = target
    }

    public init(_ key: String, _ result: Result, _ target: Target) {
        self.init(key: Data(key.utf8), result, target)
    }

    enum CodingKeys: String, CodingKey {
        case key, result, target, value, version, createRevision = "create_revision", modRevision = "mod_revision", lease
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(key, forKey: .key)
        try c.encode(result.rawValue, forKey: .result)
        // Zero is written out here: "create_revision = 0" is the compare
        // that says a key is absent, and the field must be present for it.
        switch target {
        case .value(let value):
            try c.encode("VALUE", forKey: .target)
            try c.encode(value, forKey: .value)
        case .version(let version):
            try c.encode("VERSION", forKey: .target)
            try c.encode(String(version), forKey: .version)
        case .createRevision(let revision):
            try c.encode("CREATE", forKey: .target)
            try c.encode(String(revision), forKey: .createRevision)
        case .modRevision(let revision):
            try c.encode("MOD", forKey: .target)
            try c.encode(String(revision), forKey: .modRevision)
        case .lease(let lease):
            try c.encode("LEASE", forKey: .target)
            try c.encode(String(lease), forKey: .lease)
        }
    }
}
