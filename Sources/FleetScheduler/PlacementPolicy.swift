/// How the scheduler chooses among the hosts that fit a guest.
public enum PlacementPolicy: String, Codable, Sendable, CaseIterable {
    /// The host with the largest share of its usable memory still free after
    /// placement: load stays even, and losing one host hurts few guests.
    case spread
    /// The host with the least memory left after placement: hosts fill one
    /// after another, so whole hosts stay free for big guests or draining.
    case binpack
}
