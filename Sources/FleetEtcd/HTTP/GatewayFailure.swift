import Foundation

/// How one request to one member failed, which decides whether the client
/// may try it on another member.
enum GatewayFailure: Error {
    /// No byte of the request left: safe to send elsewhere.
    case notSent(String)
    /// Sent, but no complete answer: it may have been applied.
    case noAnswer(String)
    /// The member answered with an error: its gRPC code and message.
    case server(httpStatus: Int, code: Int, message: String)
}
