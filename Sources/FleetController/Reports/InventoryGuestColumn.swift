import FleetProtocol

/// A column of the guests table of `vfleet inventory --format table`, named
/// `guest.FIELD` in `--columns` (the raw value is FIELD).
public enum InventoryGuestColumn: String, CaseIterable, Sendable {
    case name, host, group, template, desired, actual, drift, reason, memory, reserved, cpus
    case cpuSeconds = "cpu-seconds"
    case processes, uptime

    /// What `vfleet inventory` prints when `--columns` is not given: these fit
    /// 80 columns with host names of ~20 characters. The desired state and the
    /// drift reason are left out: a drifted guest is marked `*` and its reason
    /// is printed on a line of its own below the table.
    public static let standard: [InventoryGuestColumn] = [.name, .host, .actual, .drift, .memory, .cpuSeconds, .uptime]

    var header: String {
        switch self {
        case .cpuSeconds: "CPU S"
        default: rawValue.uppercased()
        }
    }

    /// For `--help` and the guide.
    public var meaning: String {
        switch self {
        case .name: "guest name"
        case .host: "host the controller places it on"
        case .group: "anti-affinity group"
        case .template: "template it was made from"
        case .desired: "state the controller wants (running, stopped)"
        case .actual: "state the host reports (running, stopped, missing, unknown, unplaced)"
        case .drift: "* when desired and actual differ"
        case .reason: "why it drifted"
        case .memory: "memory used now / limit"
        case .reserved: "memory the scheduler reserves for it"
        case .cpus: "CPU limit"
        case .cpuSeconds: "CPU seconds used"
        case .processes: "processes now"
        case .uptime: "time since it started"
        }
    }

    var shrinkable: Bool {
        switch self {
        case .name, .host, .group, .template, .reason: true
        default: false
        }
    }

    func cell(_ g: GuestReport) -> String {
        typealias R = InventoryRenderer
        switch self {
        case .name: return g.name
        case .host: return g.host ?? R.missing
        case .group: return g.group ?? R.missing
        case .template: return g.template
        case .desired: return g.desiredState
        case .actual: return g.actualState
        case .drift: return g.drift ? "*" : ""
        case .reason: return g.driftReason ?? ""
        case .memory: return "\(R.bytes(g.memoryBytes))/\(R.bytes(g.limits.memoryBytes))"
        case .reserved: return R.bytes(g.reserved.memoryBytes)
        case .cpus: return R.cpus(g.limits.cpuMillis)
        case .cpuSeconds: return R.seconds(g.cpuSeconds)
        case .processes: return g.processes.map { String($0) } ?? R.missing
        case .uptime: return R.duration(g.uptimeSeconds)
        }
    }
}
