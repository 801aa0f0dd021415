import ArgumentParser
import FleetCLI
import FleetAgent
import FleetProtocol
import Foundation

struct CreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a guest on an overlay of a template.",
        discussion: """
        The guest's root is an overlay: the template read-only below, the guest's own changes above. \
        Creating costs the same whatever the template's size. Limits apply from the first start.
        Capabilities: Linux-VServer's secure default bound (less DAC_READ_SEARCH and SYS_PTRACE), plus --cap-add, \
        minus --cap-drop. System calls: the default seccomp filter, less --allow-syscall.
        """)

    @OptionGroup var options: AgentOptions
    @Argument(help: "Guest name ([a-z0-9][a-z0-9-]{0,62}).") var name: String
    @Option(help: "Template to build on.") var template: String
    @Option(help: "Memory limit, e.g. 256M (at least 4M).") var memory: String?
    @Option(help: "CPU limit in CPUs, e.g. 1.5.") var cpus: String?
    @Option(name: .customLong("cpu-weight"), help: "Relative CPU weight, 1-10000 (default 100).") var cpuWeight: Int?
    @Option(help: "Maximum number of processes and threads.") var pids: Int?
    @Option(name: .customLong("io-weight"), help: "Relative I/O weight, 1-10000 (needs io/BFQ support).") var ioWeight: Int?
    @Option(help: "Size of the guest's writable layer, e.g. 2G (at least 16M): a file system of its own; a write past it fails inside the guest.") var disk: String?
    @Option(help: "Hostname inside (default: the guest's name).") var hostname: String?
    @Option(name: .customLong("init"), help: "Init command line (absolute path first; default: the template's /sbin/init).") var initCommand: String?
    @Option(name: .customLong("init-style"), help: "plain, sysv or systemd: how init is told to stop (default: detected).") var initStyle: InitStyle?
    @Option(name: .customLong("stop-signal"), help: "Signal for stop instead of the init style's (e.g. TERM, PWR, RTMIN+3).") var stopSignal: String?
    @Option(help: ArgumentHelp(
        "Network: isolated (the host's stack, confined to the guest's --ip addresses; the default with --ip), private (a namespace of its own on a veth into --bridge), none (loopback only; the default without --ip) or host (the host's stack, unrestricted).",
        valueName: "MODE"))
    var net: NetworkMode?
    @Option(name: .customLong("ip"), help: ArgumentHelp("An address of the guest, A or A/P (repeatable; private mode needs the prefix, e.g. 10.0.0.5/24).", valueName: "ADDRESS"))
    var addresses: [String] = []
    @Option(help: ArgumentHelp("Private mode: the default route inside the guest, e.g. 10.0.0.1 (added to the bridge when no interface has it).", valueName: "ADDRESS"))
    var gateway: String?
    @Option(help: ArgumentHelp("Private mode: the host bridge for the guest's veth (created when missing; default vfleet0).", valueName: "NAME"))
    var bridge: String?
    @Option(name: .customLong("cap-add"), help: "Add a capability to the bound (repeatable), e.g. NET_ADMIN.") var capAdd: [String] = []
    @Option(name: .customLong("cap-drop"), help: "Drop a capability from the bound (repeatable).") var capDrop: [String] = []
    @Flag(inversion: .prefixedNo, help: ArgumentHelp(
        "A user namespace of its own: guest root is an unprivileged host user (ids CTX*65536 and up), and the template reaches it idmapped. On by default for every guest; --no-userns runs guest root as the host's root (bounded by capabilities and seccomp only).",
        visibility: .default))
    var userns: Bool?
    @Option(name: .customLong("allow-syscall"), help: ArgumentHelp(
        "Allow back a system call the default seccomp filter denies (repeatable): e.g. keyctl; userns lets the guest make user namespaces (nesting); all turns the filter off. See docs/SECURITY.md for the list.",
        valueName: "NAME"))
    var allowSyscalls: [String] = []
    @Flag(help: "Start with the host (vfleet-agent boot).") var autostart = false
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let spec = try fleet { () throws(FleetError) in try makeSpec() }
        let agent = try options.agent()
        let status = try fleet { () throws(FleetError) in try agent.create(spec) }
        if format == .json { return printJSON(status) }
        print("created guest \(status.name) (context \(status.contextId)) on template \(status.template)")
    }

    func makeSpec() throws(FleetError) -> GuestSpec {
        var limits = GuestLimits(cpuWeight: cpuWeight, pids: pids, ioWeight: ioWeight)
        if let memory {
            guard let bytes = ByteSize.parse(memory) else { throw .invalid("cannot read memory limit \"\(memory)\" (use e.g. 256M or 1G)") }
            limits.memoryBytes = bytes
        }
        if let cpus {
            guard let millis = GuestLimits.parseCPUs(cpus) else { throw .invalid("cannot read cpu limit \"\(cpus)\" (use e.g. 0.5 or 2)") }
            limits.cpuMillis = millis
        }
        if let disk {
            guard let bytes = ByteSize.parse(disk) else { throw .invalid("cannot read disk limit \"\(disk)\" (use e.g. 512M or 2G)") }
            limits.diskBytes = bytes
        }
        var signal: Int32?
        if let stopSignal {
            guard let n = SignalName.number(stopSignal) else { throw .invalid("unknown signal \"\(stopSignal)\" (use e.g. TERM, PWR, RTMIN+3 or a number)") }
            signal = n
        }
        let initArgv = try initCommand.map { (s: String) throws(FleetError) in try ShellWords.split(s) }
        let spec = GuestSpec(name: name, template: template, limits: limits, hostname: hostname, initCommand: initArgv,
                             initStyle: initStyle, stopSignal: signal, autostart: autostart,
                             network: net ?? (addresses.isEmpty ? .none : .isolated),
                             addresses: addresses.isEmpty ? nil : addresses, gateway: gateway, bridge: bridge, capAdd: capAdd, capDrop: capDrop,
                             userNamespace: userns, allowSyscalls: allowSyscalls.isEmpty ? nil : allowSyscalls)
        try spec.validate()
        return spec
    }
}

extension InitStyle: ExpressibleByArgument {}
extension NetworkMode: ExpressibleByArgument {}
