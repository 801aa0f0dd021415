/// A failed SSH operation. `kind` lets the controller decide what to do
/// (retry, ask the operator to trust a key, give up); `message` tells the
/// operator what failed, on which host, and what to do about it.
///
/// Messages are built only from endpoint data, file paths, fingerprints and
/// libssh's own error text, so they never carry key material or passphrases.
public struct SSHError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        /// TCP could not be established (refused, unreachable, name unknown).
        case connect
        /// Something did not finish within its time limit.
        case timeout
        /// The server's host key is not in the controller's known_hosts.
        case hostKeyUnknown
        /// The server's host key differs from the recorded one.
        case hostKeyChanged
        /// The server refused our key (or wants more than a public key).
        case authentication
        /// Opening a channel, starting a command or channel I/O failed.
        case channel
        /// The peer spoke something other than the SSH we expect.
        case protocolError
        /// The session or channel is closed (by us or by the peer).
        case closed
        /// The caller passed something unusable (bad address, bad key file).
        case invalidArgument
    }

    public var kind: Kind
    public var message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
