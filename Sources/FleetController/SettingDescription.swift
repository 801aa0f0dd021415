/// One controller setting: its key, what it means, and its default written
/// as `vfleet config set` takes it.
public struct SettingDescription: Sendable, Equatable {
    public let key: String
    public let meaning: String
    public let defaultValue: String

    public init(key: String, meaning: String, defaultValue: String) {
        self.key = key
        self.meaning = meaning
        self.defaultValue = defaultValue
    }
}
