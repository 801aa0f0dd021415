import Foundation

/// A transaction: if every compare holds, the success operations run, else
/// the failure ones, atomically at one revision.
public struct EtcdTxnRequest: Sendable, Equatable, Encodable {
    public var compare: [EtcdCompare]
    public var success: [EtcdOperation]
    public var failure: [EtcdOperation]

    public init(compare: [EtcdCompare], success: [EtcdOperation], failure: [EtcdOperation] = []) {
        self.compare = compare
        self.success = success
        self.failure = failure
    }

    /// Only reads: safe to send again after a lost answer.
    var isReadOnly: Bool { (success + failure).allSatisfy(\.isRead) }

    enum CodingKeys: String, CodingKey { case compare, success, failure }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if !compare.isEmpty { try c.encode(compare, forKey: .compare) }
        if !success.isEmpty { try c.encode(success, forKey: .success) }
        if !failure.isEmpty { try c.encode(failure, forKey: .failure) }
    }
}
