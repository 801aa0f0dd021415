/// A guest's network. This issue provides the host's stack and loopback only;
/// isolated and private modes come with the networking work.
public enum NetworkMode: String, Codable, Sendable, CaseIterable {
    /// The host's network stack, unrestricted.
    case host
    /// A network namespace of its own with only loopback.
    case none
}
