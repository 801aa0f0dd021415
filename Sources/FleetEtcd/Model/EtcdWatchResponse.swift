import Foundation

/// One message of the watch stream: `{"result": {...}}` or `{"error": {...}}`.
struct EtcdWatchResponse: Decodable {
    struct Result: Decodable {
        let header: EtcdResponseHeader?
        let created: Bool
        let canceled: Bool
        let compactRevision: Int64
        let cancelReason: String
        let events: [EtcdWatchEvent]

        enum CodingKeys: String, CodingKey {
            case header, created, canceled, compactRevision = "compact_revision", cancelReason = "cancel_reason", events
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            header = try c.decodeIfPresent(EtcdResponseHeader.self, forKey: .header)
            created = try c.flag(.created)
            canceled = try c.flag(.canceled)
            compactRevision = try c.int64(.compactRevision)
            cancelReason = try c.decodeIfPresent(String.self, forKey: .cancelReason) ?? ""
            events = try c.list(.events)
        }
    }

    let result: Result?
    let error: GatewayErrorBody?
}
