/// A controller setting as `vfleet config get` shows it: the value in force
/// and where it comes from.
public struct ConfigEntry: Codable, Sendable, Equatable {
    public enum Source: String, Codable, Sendable {
        /// `vfleet config set`, kept in the store.
        case stored
        /// An environment variable of this process (VFLEET_SSH_PERSIST).
        case environment
        /// Never set: the built-in default.
        case `default`
    }

    public var key: String
    /// As it was written (`config set` or the environment), or the default.
    public var value: String
    public var source: Source
    public var meaning: String

    public init(key: String, value: String, source: Source, meaning: String) {
        self.key = key
        self.value = value
        self.source = source
        self.meaning = meaning
    }
}
