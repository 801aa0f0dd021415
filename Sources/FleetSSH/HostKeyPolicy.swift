/// How a connection treats the server's host key.
///
/// Under both policies a key that differs from the recorded one is refused:
/// a changed key is either a reinstalled host or a man-in-the-middle, and only
/// the operator can tell which.
public enum HostKeyPolicy: Sendable {
    /// The key must already be recorded in the endpoint's known_hosts file.
    case strict
    /// An unknown key is recorded (trust on first use); a changed key is refused.
    case acceptNew
}
