import Synchronization

/// The transport moves started by this controller use (`--transport` on
/// guest move, host evacuate, host restore, rebalance); it goes into each
/// move's journaled parameters, so `ops resume` keeps it.
public final class MoveTransportChoice: Sendable {
    private let value = Mutex<LayerTransportMode>(.auto)

    public init() {}

    public var mode: LayerTransportMode {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
