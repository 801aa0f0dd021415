import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct GuestCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Record a guest, place it (on --host or by the scheduler), create and start it there.",
        discussion: "Placement respects capacity (memory, cpu, disk plus the host's reservation), cordons, --require labels and --group anti-affinity. When nothing fits, the error says for each host why not.")

    @OptionGroup var options: ChangeOptions
    @Argument(help: "Guest name.") var name: String
    @Option(help: "Template.") var template: String
    @Option(help: "Memory limit, e.g. 256M (also what the scheduler reserves).") var memory: String?
    @Option(help: "CPU limit in CPUs, e.g. 0.5.") var cpus: String?
    @Option(help: "Process limit.") var pids: Int?
    @Option(help: "Size of the guest's writable layer, e.g. 2G: a file system of its own on the host (a write past it fails inside the guest), and what the scheduler reserves.") var disk: String?
    @Option(help: "Put it on this host.") var host: String?
    @Option(help: "Anti-affinity group: two guests of one group never share a host.") var group: String?
    @Option(name: .customLong("require"), help: "Host label KEY=VALUE the host must have (repeatable).") var requires: [String] = []
    @Option(help: "Hostname inside.") var hostname: String?
    @Option(name: .customLong("init"), help: "Init command line (default: the template's /sbin/init).") var initCommand: String?
    @Option(name: .customLong("init-style"), help: "plain, sysv or systemd: how init is told to stop (default: detected from the template).")
    var initStyle: InitStyle?
    @Flag(inversion: .prefixedNo, help: "A user namespace of its own (guest root is an unprivileged host user). Default: on for every guest.")
    var userns: Bool?
    @Option(name: .customLong("allow-syscall"), help: ArgumentHelp(
        "Give back a system call the default seccomp filter refuses (repeatable; userns allows nesting, all turns the filter off; see docs/SECURITY.md).",
        valueName: "NAME"))
    var allowSyscalls: [String] = []
    @Option(help: ArgumentHelp(
        "Network: isolated (the host's stack, confined to the guest's addresses), private (its own namespace on a veth into --bridge), none (loopback only) or host (unrestricted). Default: isolated with an address from a pool serving the chosen host when there is one (or with --ip/--pool), else none.",
        valueName: "MODE"))
    var net: NetworkMode?
    @Option(name: .customLong("ip"), help: ArgumentHelp("An address of the guest, A or A/P (repeatable); default: the next free one of --pool.", valueName: "ADDRESS"))
    var addresses: [String] = []
    @Option(help: ArgumentHelp("Address pool to allocate from (see `vfleet net pool list`).", valueName: "NAME")) var pool: String?
    @Option(help: ArgumentHelp("Private mode: the default route inside (default: the pool's gateway).", valueName: "ADDRESS")) var gateway: String?
    @Option(help: ArgumentHelp("Private mode: the host bridge (default vfleet0).", valueName: "NAME")) var bridge: String?
    @Flag(help: "Create it stopped.") var stopped = false
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        var limits = GuestLimits(pids: pids)
        if let memory {
            guard let b = ByteSize.parse(memory) else { throw CLIError(.invalid("cannot read memory limit \"\(memory)\" (use e.g. 256M)")) }
            limits.memoryBytes = b
        }
        if let cpus {
            guard let m = GuestLimits.parseCPUs(cpus) else { throw CLIError(.invalid("cannot read cpu limit \"\(cpus)\" (use e.g. 0.5)")) }
            limits.cpuMillis = m
        }
        var spec = GuestSpec(name: name, template: template, limits: limits, hostname: hostname,
                             network: net ?? (addresses.isEmpty ? .none : .isolated),
                             addresses: addresses.isEmpty ? nil : addresses, gateway: gateway, bridge: bridge)
        spec.initStyle = initStyle
        spec.userNamespace = userns
        spec.allowSyscalls = allowSyscalls.isEmpty ? nil : allowSyscalls
        if let initCommand { spec.initCommand = try fleet { () throws(FleetError) in try ShellWords.split(initCommand) } }
        var r = Controller.GuestRequest(spec: spec)
        if let disk {
            guard let b = ByteSize.parse(disk) else { throw CLIError(.invalid("cannot read --disk \"\(disk)\" (use e.g. 2G)")) }
            r.diskBytes = b
            r.spec.limits.diskBytes = b
        }
        r.host = host
        r.group = group
        r.pool = pool
        r.automaticNetwork = net == nil && addresses.isEmpty
        r.requires = try keyValues(requires, option: "--require")
        r.desiredState = stopped ? .stopped : .running
        let controller = try options.controller()
        let (guest, placedOn, status) = try fleet { () throws(FleetError) in try controller.createGuest(r) }
        if format == .json {
            struct View: Encodable { var guest: StoredGuest; var host: String; var status: GuestStatus? }
            return printJSON(View(guest: guest, host: placedOn.name, status: status))
        }
        let addressText = (guest.spec.addresses ?? []).isEmpty ? "" : " at \((guest.spec.addresses ?? []).joined(separator: ", "))"
        print("created guest \(guest.name) on host \(placedOn.name)\(addressText) (network \(guest.spec.network.rawValue))\(status?.state == .running ? ", running" : "")")
    }
}

extension NetworkMode: ExpressibleByArgument {}
extension InitStyle: ExpressibleByArgument {}
