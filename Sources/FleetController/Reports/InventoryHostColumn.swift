import FleetProtocol

/// A column of the hosts table of `vfleet inventory --format table`, named
/// `host.FIELD` in `--columns` (the raw value is FIELD).
public enum InventoryHostColumn: String, CaseIterable, Sendable {
    case name, address, state, kernel, cgroups, memory, reserved
    case memUsed = "mem-used"
    case cpu
    case cpuSeconds = "cpu-seconds"
    case disk
    case diskFree = "disk-free"
    case guests, labels

    /// What `vfleet inventory` prints when `--columns` is not given: these fit
    /// 80 columns with host names of up to ~20 characters.
    public static let standard: [InventoryHostColumn] = [.name, .state, .memory, .memUsed, .cpu, .guests]

    var header: String {
        switch self {
        case .memUsed: "MEM USED"
        case .cpuSeconds: "CPU S"
        case .diskFree: "DISK FREE"
        default: rawValue.uppercased()
        }
    }

    /// For `--help` and the guide.
    public var meaning: String {
        switch self {
        case .name: "host name"
        case .address: "SSH address"
        case .state: "reachable or UNREACHABLE, cordoned, evacuating/evacuated"
        case .kernel: "kernel release"
        case .cgroups: "cgroup mode (v1, v2, hybrid)"
        case .memory: "memory allocated to guests / capacity"
        case .reserved: "memory reserved for the host"
        case .memUsed: "memory its running guests use now"
        case .cpu: "CPUs allocated / capacity"
        case .cpuSeconds: "CPU seconds its running guests have used"
        case .disk: "disk allocated / free at enrolment"
        case .diskFree: "disk free now"
        case .guests: "guests placed there"
        case .labels: "labels, key=value"
        }
    }

    /// Free text may be cut to fit the width; figures never are.
    var shrinkable: Bool {
        switch self {
        case .name, .address, .state, .kernel, .labels: true
        default: false
        }
    }

    func cell(_ h: HostReport) -> String {
        typealias R = InventoryRenderer
        switch self {
        case .name: return h.name
        case .address: return h.address
        case .state: return R.hostStateText(h)
        case .kernel: return h.kernel ?? R.missing
        case .cgroups: return h.cgroupMode ?? R.missing
        case .memory: return "\(R.bytes(h.allocated.memoryBytes))/\(R.bytes(h.capacity.memoryBytes))"
        case .reserved: return R.bytes(h.reservedMemoryBytes)
        case .memUsed: return R.bytes(h.usedMemoryBytes)
        case .cpu: return "\(R.cpus(h.allocated.cpuMillis))/\(R.cpus(h.capacity.cpuMillis))"
        case .cpuSeconds: return R.seconds(h.usedCPUSeconds)
        case .disk: return "\(R.bytes(h.allocated.diskBytes))/\(R.bytes(h.capacity.diskBytes))"
        case .diskFree: return R.bytes(h.freeDiskBytes)
        case .guests: return String(h.guestCount)
        case .labels: return h.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        }
    }
}
