/// What an operation tells the recorder about itself while it runs: what it
/// touched once known (the host a guest was placed on, the operation id),
/// and an outcome other than its own return or throw says (a rolled-back
/// move, an evacuation with failed moves).
public struct EventNote: Sendable {
    public var guest: String?
    public var host: String?
    public var toHost: String?
    public var template: String?
    public var operation: Int64?
    public var detail: String?
    /// nil: ok when the body returns, failed when it throws.
    public var outcome: StoredEvent.Outcome?
    /// With an outcome set by the body: what went wrong.
    public var error: String?
}
