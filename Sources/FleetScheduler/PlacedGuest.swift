/// A guest and the host it runs on (or is planned to run on).
public struct PlacedGuest: Sendable, Equatable {
    public var guest: GuestDemand
    public var host: String

    public init(guest: GuestDemand, host: String) {
        self.guest = guest
        self.host = host
    }
}
