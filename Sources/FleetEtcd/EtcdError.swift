import Foundation

import FleetProtocol

/// What went wrong talking to etcd, on which endpoint, and what to do. The
/// kind tells a caller whether its request can have taken effect: only
/// `outcomeUnknown` leaves that open (read back before writing again).
public struct EtcdError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The request reached no member: nothing was applied.
        case unreachable
        /// The request was sent but no answer came back: a write may or may
        /// not have been applied.
        case outcomeUnknown
        /// A member answered with an error (gRPC code): nothing was applied.
        case rejected(code: Int)
        /// A watch or a read asked for a revision etcd has compacted away.
        case compacted(revision: Int64)
        /// A lease that expired or was revoked.
        case leaseNotFound
        /// Our own input was wrong (an endpoint, a setting).
        case invalidArgument
        /// The answer could not be understood.
        case badResponse
        /// The caller cancelled (a watch).
        case cancelled
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// The same message as an operator-facing `FleetError`.
    public var fleetError: FleetError {
        switch kind {
        case .unreachable, .outcomeUnknown: FleetError(.unreachable, message)
        case .invalidArgument: FleetError(.invalidArgument, message)
        case .leaseNotFound: FleetError(.notFound, message)
        case .compacted, .rejected, .badResponse, .cancelled: FleetError(.failed, message)
        }
    }
}
