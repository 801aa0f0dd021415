/// An error an operator reads: what failed, on what, and what to do. Its
/// code travels in RPC error objects so a controller can react to it.
public struct FleetError: Error, CustomStringConvertible, Sendable, Equatable, Codable {
    public enum Code: String, Codable, Sendable {
        /// The request or an argument is malformed; nothing changed.
        case invalidArgument = "invalid_argument"
        /// A guest, template or method does not exist.
        case notFound = "not_found"
        /// The state forbids it (running, in use, exists already).
        case conflict
        /// The host cannot do it (missing kernel feature).
        case unsupported
        /// The operation was tried and failed.
        case failed
        /// A host could not be reached (SSH connect, host key, authentication, timeout).
        case unreachable
        /// hello was not sent first, or with a version this agent does not speak.
        case protocolError = "protocol_error"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func invalid(_ message: String) -> FleetError { FleetError(.invalidArgument, message) }
    public static func notFound(_ message: String) -> FleetError { FleetError(.notFound, message) }
    public static func conflict(_ message: String) -> FleetError { FleetError(.conflict, message) }
    public static func failed(_ message: String) -> FleetError { FleetError(.failed, message) }
}
