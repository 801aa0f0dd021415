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
    /// Capabilities added to or dropped from VServer's secure default bound.
    public var capAdd: [String]
    public var capDrop: [String]

    public init(name: String, template: String, limits: GuestLimits = GuestLimits(), hostname: String? = nil,
                initCommand: [String]? = nil, initStyle: InitStyle? = nil, stopSignal: Int32? = nil,
                autostart: Bool = false, network: NetworkMode = .host, capAdd: [String] = [], capDrop: [String] = []) {
        self.name = name
        self.template = template
        self.limits = limits
        self.hostname = hostname
        self.initCommand = initCommand
        self.initStyle = initStyle
        self.stopSignal = stopSignal
        self.autostart = autostart
        self.network = network
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
        if let s = stopSignal, s < 1 || s > 64 { throw .invalid("stop signal \(s) is not a signal number (1 to 64)") }
    }
}
