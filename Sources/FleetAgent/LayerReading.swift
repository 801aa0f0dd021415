/// A read of a guest's layer in progress (Agent.readLayer): its directory,
/// and what ends it.
struct LayerReading {
    let directory: String
    let release: (() -> Void)?

    func end() { release?() }
}
