import Foundation

/// The JSON gateway's error answer: `{"error", "message", "code"}` with the
/// gRPC status code. Streams wrap it as `{"error": {…}}`.
struct GatewayErrorBody: Decodable {
    let code: Int?
    let message: String?
    let error: String?

    var text: String { message ?? error ?? "unknown error" }
}
