import Foundation

/// The answer to a transaction: whether the compares held (the success
/// branch ran) and each operation's answer, in order.
public struct EtcdTxnResult: Sendable, Equatable, Decodable {
    public let header: EtcdResponseHeader
    public let succeeded: Bool
    public let responses: [EtcdOperationResult]

    enum CodingKeys: String, CodingKey { case header, succeeded, responses }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        header = try c.decodeIfPresent(EtcdResponseHeader.self, forKey: .header) ?? EtcdResponseHeader()
        succeeded = try c.flag(.succeeded)
        responses = try c.list(.responses)
    }
}
