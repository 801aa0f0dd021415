/// Why a guest could not be placed: each host's reason, and a description
/// an operator reads.
public struct PlacementFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var guest: String
    /// One per host, sorted by host name: why each host cannot take the guest.
    public var rejections: [HostRejection]
    /// The host the operator asked for (`place(_:on:)`); nil when any host would do.
    public var host: String?

    public init(guest: String, rejections: [HostRejection], host: String? = nil) {
        self.guest = guest
        self.rejections = rejections
        self.host = host
    }

    static func alreadyPlaced(_ guest: String, on host: String) -> PlacementFailure {
        let reason = "guest \(guest) is already placed on \(host); remove it before placing it again"
        return PlacementFailure(guest: guest, rejections: [HostRejection(host: host, reason: reason, kind: .alreadyPlaced)], host: host)
    }

    /// Hosts listed one by one before the rest are summarised by reason.
    static let listedHosts = 20

    public var description: String {
        if let only = rejections.first, rejections.count == 1, only.kind == .alreadyPlaced {
            return "cannot place guest \(guest): \(only.reason)"
        }
        if let host {
            let reasons = rejections.map(\.reason).joined(separator: "; ")
            return "cannot place guest \(guest) on \(host): \(reasons)"
        }
        if rejections.isEmpty {
            return "cannot place guest \(guest): no hosts are enrolled (enrol one with vfleet host add NAME --address ADDR)"
        }
        var lines = ["cannot place guest \(guest): no host fits:"]
        let (listed, rest) = FailureSummary.split(rejections, listing: Self.listedHosts)
        for rejection in listed {
            lines.append("  \(rejection.host): \(rejection.reason)")
        }
        if !rest.isEmpty { lines.append("  " + FailureSummary.remainder(rest)) }
        lines.append("  " + FailureSummary.advice(for: rejections))
        return lines.joined(separator: "\n")
    }
}
