import Foundation

/// One operation of a transaction's success or failure branch.
public enum EtcdOperation: Sendable, Equatable, Encodable {
    case range(EtcdRangeRequest)
    case put(EtcdPutRequest)
    case delete(EtcdDeleteRequest)

    /// Whether running it twice changes nothing more than once (a read).
    var isRead: Bool {
        if case .range = self { return true }
        return false
    }

    enum CodingKeys: String, CodingKey { case range = "request_range", put = "request_put", delete = "request_delete_range" }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .range(let request): try c.encode(request, forKey: .range)
        case .put(let request): try c.encode(request, forKey: .put)
        case .delete(let request): try c.encode(request, forKey: .delete)
        }
    }
}
