import Foundation

/// What one operation of the branch a transaction took answered.
public enum EtcdOperationResult: Sendable, Equatable, Decodable {
    case range(EtcdRangeResult)
    case put(EtcdPutResult)
    case delete(EtcdDeleteResult)
    /// A nested transaction (not sent by this client; kept so an answer decodes).
    case other

    enum CodingKeys: String, CodingKey { case range = "response_range", put = "response_put", delete = "response_delete_range" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let range = try c.decodeIfPresent(EtcdRangeResult.self, forKey: .range) {
            self = .range(range)
        } else if let put = try c.decodeIfPresent(EtcdPutResult.self, forKey: .put) {
            self = .put(put)
        } else if let delete = try c.decodeIfPresent(EtcdDeleteResult.self, forKey: .delete) {
            self = .delete(delete)
        } else {
            self = .other
        }
    }
}
