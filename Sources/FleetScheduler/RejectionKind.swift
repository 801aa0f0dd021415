/// Which rule kept a guest off a host; failure summaries count hosts by it.
public enum RejectionKind: String, Sendable, Equatable, CaseIterable {
    case unknownHost = "unknown host"
    case alreadyPlaced = "already placed"
    case unreachable
    case cordoned
    case evacuating
    case labels
    case antiAffinity = "anti-affinity"
    case memory
    case cpu
    case disk
}
