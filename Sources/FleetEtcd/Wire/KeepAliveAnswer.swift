import Foundation

/// The keep-alive stream's one message: `{"result": {"ID", "TTL"}}`; a TTL
/// of 0 (left out) means the lease is gone.
struct KeepAliveAnswer: Decodable {
    let result: EtcdLease?
    let error: GatewayErrorBody?
}
