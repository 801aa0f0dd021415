/// Everything that defines a guest on a host: what `create` records.
public struct GuestSpec: Codable, Sendable, Equatable {
    public var name: String
    public var template: String
    public var limits: GuestLimits
    public var hostname: String?
    /// Init's argv; nil means the template's default init.
    public var initCommand: [String]?
    /// nil: the template's init style.
    public var initStyle: InitStyle?
    /// nil: the init style's signal.
    public var stopSignal: Int32?
    public var autostart: Bool
    public var network: NetworkMode
    /// Isolated and private modes: the guest's addresses, "A" or "A/P"
    /// (isolated defaults to /32, an address of its own on the host's
    /// interface; private needs the prefix of its network).
    public var addresses: [String]?
    /// Private mode: the default route inside the guest.
    public var gateway: String?
    /// Private mode: the host bridge of the guest's veth (default vfleet0).
    public var bridge: String?
    /// Capabilities added to or dropped from VServer's secure default bound.
    public var capAdd: [String]
    public var capDrop: [String]
    /// A user namespace of its own (guest root is an unprivileged host
    /// user); nil: yes (false only when asked for).
    public var userNamespace: Bool?
    /// Rules of the default seccomp filter allowed back: system call names,
    /// "userns" (nesting: the guest may make user namespaces) or "all" (no
    /// filter). nil or empty: the whole default filter.
    public var allowSyscalls: [String]?

    public init(name: String, template: String, limits: GuestLimits = GuestLimits(), hostname: String? = nil,
                initCommand: [String]? = nil, initStyle: InitStyle? = nil, stopSignal: Int32? = nil,
                autostart: Bool = false, network: NetworkMode = .host, addresses: [String]? = nil, gateway: String? = nil,
                bridge: String? = nil, capAdd: [String] = [], capDrop: [String] = [], userNamespace: Bool? = nil,
                allowSyscalls: [String]? = nil) {
        self.userNamespace = userNamespace
        self.allowSyscalls = allowSyscalls
        self.name = name
        self.template = template
        self.limits = limits
        self.hostname = hostname
        self.initCommand = initCommand
        self.initStyle = initStyle
        self.stopSignal = stopSignal
        self.autostart = autostart
        self.network = network
        self.addresses = addresses
        self.gateway = gateway
        self.bridge = bridge
        self.capAdd = capAdd
        self.capDrop = capDrop
    }

    /// Checks everything that can be checked without the host.
    public func validate() throws(FleetError) {
        try Names.validate(name, kind: "guest")
        try Names.validate(template, kind: "template")
        try limits.validate()
        if let hostname { try Names.validateHostname(hostname) }
        if let initCommand {
            guard let first = initCommand.first, !first.isEmpty else { throw .invalid("--init is empty: give the init's absolute path, e.g. /sbin/init") }
            guard first.hasPrefix("/") else { throw .invalid("init \"\(first)\" must be an absolute path inside the guest, e.g. /sbin/init") }
        }
        for rule in allowSyscalls ?? [] where !Self.isRuleName(rule) {
            throw .invalid("guest \(name): --allow-syscall \"\(rule)\" is not a system call name (e.g. keyctl, userns, or all)")
        }
        if let s = stopSignal, s < 1 || s > 64 { throw .invalid("stop signal \(s) is not a signal number (1 to 64)") }
        try validateNetwork()
    }

    public static let defaultBridge = "vfleet0"

    static func isRuleName(_ text: String) -> Bool {
        (1...40).contains(text.utf8.count) && text.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }
    public static let maxAddresses = 16

    /// The guest's addresses, parsed (validate() has checked them).
    public var interfaceAddresses: [IPv4CIDR] {
        (addresses ?? []).compactMap { IPv4CIDR($0, defaultPrefix: 32) }
    }

    func validateNetwork() throws(FleetError) {
        let list = addresses ?? []
        guard network.takesAddresses else {
            if !list.isEmpty { throw .invalid("guest \(name): --ip needs --net isolated or --net private (it is --net \(network.rawValue))") }
            if gateway != nil { throw .invalid("guest \(name): --gateway is for --net private only") }
            if bridge != nil { throw .invalid("guest \(name): --bridge is for --net private only") }
            return
        }
        guard !list.isEmpty else {
            throw .invalid("guest \(name): --net \(network.rawValue) needs an address (--ip A\(network == .private ? "/P" : ""), or let the controller allocate one from a pool)")
        }
        guard list.count <= Self.maxAddresses else { throw .invalid("guest \(name): at most \(Self.maxAddresses) addresses (got \(list.count))") }
        var seen = Set<IPv4Address>()
        for text in list {
            guard let cidr = IPv4CIDR(text, defaultPrefix: network == .private ? nil : 32) else {
                throw .invalid(network == .private && IPv4CIDR(text, defaultPrefix: 32) != nil
                    ? "guest \(name): address \(text) needs its prefix for --net private, e.g. \(text)/24"
                    : "guest \(name): \(text) is not an IPv4 address (A or A/P, e.g. 10.0.0.5/24)")
            }
            let a = cidr.address
            guard !a.isLoopback, !a.isUnspecified, !a.isMulticastOrReserved, a != cidr.broadcast || cidr.prefix >= 31,
                  a != cidr.network || cidr.prefix >= 31 else {
                throw .invalid("guest \(name): \(text) cannot be a guest's address (loopback, unspecified, multicast, or the network or broadcast address of its prefix)")
            }
            guard seen.insert(a).inserted else { throw .invalid("guest \(name): address \(a) is given twice") }
        }
        if network == .isolated {
            // On the host's own stack these would undo the isolation: NET_ADMIN
            // changes the host's interfaces, routes and firewall; NET_RAW sends
            // packets the socket filters never see.
            let normalized = Set(capAdd.map { $0.uppercased().hasPrefix("CAP_") ? String($0.uppercased().dropFirst(4)) : $0.uppercased() })
            if let cap = ["NET_ADMIN", "NET_RAW"].first(where: normalized.contains) {
                throw .invalid("guest \(name): --cap-add \(cap) on --net isolated would reach the host's own network stack (use --net private for a guest that manages its network)")
            }
            if gateway != nil { throw .invalid("guest \(name): --gateway is for --net private only (an isolated guest uses the host's routes)") }
            if bridge != nil { throw .invalid("guest \(name): --bridge is for --net private only") }
        }
        if let gateway {
            guard let g = IPv4Address(gateway) else { throw .invalid("guest \(name): gateway \(gateway) is not an IPv4 address") }
            let first = interfaceAddresses[0]
            guard first.contains(g), g != first.address else {
                throw .invalid("guest \(name): gateway \(g) is not reachable from \(first) (give a gateway inside \(first.network)/\(first.prefix) other than the guest's own address)")
            }
        }
        if let bridge {
            guard (1...15).contains(bridge.utf8.count), bridge.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }) else {
                throw .invalid("guest \(name): bridge name \"\(bridge)\" is not a Linux interface name (1 to 15 of A-Z a-z 0-9 _ . -)")
            }
        }
    }
}
