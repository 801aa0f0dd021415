/// What one non-blocking attempt at an operation concluded.
enum AttemptOutcome<Value> {
    /// Finished with this result.
    case done(Value)
    /// Not yet, but something changed (data moved, more is buffered):
    /// try again right away instead of sleeping.
    case retry
    /// Not yet, and nothing more can happen until the peer sends (or the
    /// socket drains): sleep until then.
    case wait
}
