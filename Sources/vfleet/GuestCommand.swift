import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct GuestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guest",
        abstract: "Create, start, stop, inspect and destroy guests anywhere in the fleet.",
        subcommands: [GuestCreateCommand.self, GuestStartCommand.self, GuestStopCommand.self, GuestRestartCommand.self,
                      GuestDestroyCommand.self, GuestExecCommand.self, GuestShowCommand.self, GuestListCommand.self, GuestMoveCommand.self])
}

struct GuestCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Record a guest, place it (on --host or by the scheduler), create and start it there.",
        discussion: "Placement respects capacity (memory, cpu, disk plus the host's reservation), cordons, --require labels and --group anti-affinity. When nothing fits, the error says for each host why not.")

    @OptionGroup var options: ControllerOptions
    @Argument(help: "Guest name.") var name: String
    @Option(help: "Template.") var template: String
    @Option(help: "Memory limit, e.g. 256M (also what the scheduler reserves).") var memory: String?
    @Option(help: "CPU limit in CPUs, e.g. 0.5.") var cpus: String?
    @Option(help: "Process limit.") var pids: Int?
    @Option(help: "Disk the scheduler reserves, e.g. 2G.") var disk: String?
    @Option(help: "Put it on this host.") var host: String?
    @Option(help: "Anti-affinity group: two guests of one group never share a host.") var group: String?
    @Option(name: .customLong("require"), help: "Host label KEY=VALUE the host must have (repeatable).") var requires: [String] = []
    @Option(help: "Hostname inside.") var hostname: String?
    @Option(name: .customLong("init"), help: "Init command line (default: the template's /sbin/init).") var initCommand: String?
    @Option(name: .customLong("init-style"), help: "plain, sysv or systemd: how init is told to stop (default: detected from the template).")
    var initStyle: InitStyle?
    @Flag(inversion: .prefixedNo, help: "A user namespace of its own (guest root is an unprivileged host user). Default: on for systemd guests.")
    var userns: Bool?
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
        if let initCommand { spec.initCommand = try fleet { () throws(FleetError) in try ShellWords.split(initCommand) } }
        var r = Controller.GuestRequest(spec: spec)
        if let disk {
            guard let b = ByteSize.parse(disk) else { throw CLIError(.invalid("cannot read --disk \"\(disk)\" (use e.g. 2G)")) }
            r.diskBytes = b
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

struct GuestStartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start a guest (and record it as desired running).")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Guest name.") var name: String

    func run() throws {
        let controller = try options.controller()
        let r = try fleet { () throws(FleetError) in try controller.startGuest(name) }
        for w in r.warnings { printError("warning: \(w)") }
        print("guest \(name) running")
    }
}

struct GuestStopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop a guest (and record it as desired stopped).")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Guest name.") var name: String
    @Option(help: "Stop timeout, e.g. 10s.") var timeout: String = "10s"

    func run() throws {
        guard let t = DurationText.seconds(timeout) else { throw CLIError(.invalid("cannot read timeout \"\(timeout)\"")) }
        let controller = try options.controller()
        let r = try fleet { () throws(FleetError) in try controller.stopGuest(name, timeout: t) }
        print("guest \(name) stopped" + (r.guest?.stop.map { " (\($0.summary))" } ?? ""))
    }
}

struct GuestRestartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Stop and start a guest.")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Guest name.") var name: String
    @Option(help: "Stop timeout, e.g. 10s.") var timeout: String = "10s"

    func run() throws {
        guard let t = DurationText.seconds(timeout) else { throw CLIError(.invalid("cannot read timeout \"\(timeout)\"")) }
        let controller = try options.controller()
        _ = try fleet { () throws(FleetError) in try controller.restartGuest(name, timeout: t) }
        print("guest \(name) restarted")
    }
}

struct GuestDestroyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy",
        abstract: "Destroy a guest on its host and forget it.",
        discussion: "Refused while it runs unless --force. With --forget, an unreachable host is skipped and the guest only leaves the store (its copy there then shows as unknown).")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Guest name.") var name: String
    @Flag(help: "Kill it first if it runs.") var force = false
    @Flag(help: "Forget it even if its host cannot be reached.") var forget = false

    func run() throws {
        let controller = try options.controller()
        try fleet { () throws(FleetError) in try controller.destroyGuest(name, force: force, forget: forget) }
        print("destroyed guest \(name)")
    }
}

struct GuestExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command in a guest wherever it is; prints its output, exits with its status.",
        discussion: "Standard input is passed when it is not a terminal. Example: vfleet guest exec web1 -- uname -a")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Guest name.") var name: String
    @Option(help: "Kill the command after this long, e.g. 60s.") var timeout: String = "60s"
    @Argument(parsing: .postTerminator, help: "The command, after --.") var command: [String] = []

    func run() throws {
        guard !command.isEmpty else { throw CLIError(.invalid("give the command after --")) }
        guard let t = DurationText.seconds(timeout) else { throw CLIError(.invalid("cannot read timeout \"\(timeout)\"")) }
        let input: String? = isatty(0) == 0 ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : nil
        let controller = try options.controller()
        let r = try fleet { () throws(FleetError) in try controller.execGuest(name, argv: command, stdin: input, timeout: t) }
        FileHandle.standardOutput.write(Data(r.stdout.utf8))
        FileHandle.standardError.write(Data(r.stderr.utf8))
        if r.timedOut { printError("vfleet: the command was killed after \(timeout)") }
        throw ExitCode(Int32(r.exitCode))
    }
}

struct GuestShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a guest as desired and as its host reports it.")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Guest name.") var name: String
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let v = try fleet { () throws(FleetError) in try controller.showGuest(name) }
        if format == .json { return printJSON(v) }
        let g = v.guest
        let rows: [(String, String)] = [
            ("name", g.name), ("host", v.host ?? "-"), ("template", g.template), ("desired", g.desiredState.rawValue),
            ("actual", v.actual?.state.rawValue ?? "unknown (\(v.error ?? "?"))"),
            ("memory", "\(v.actual?.memoryBytes.map(ByteSize.format) ?? "-") of \(ByteSize.format(g.memoryBytes)) reserved"),
            ("cpu", "\(g.cpuMillis / 1000).\(g.cpuMillis % 1000 / 100) reserved, \(v.actual?.cpuSeconds.map { String(format: "%.2fs used", $0) } ?? "-")"),
            ("disk", ByteSize.format(g.diskBytes) + " reserved"), ("group", g.groupName ?? "-"),
            ("network", g.spec.network.rawValue + ((g.spec.addresses ?? []).isEmpty ? "" : " " + (g.spec.addresses ?? []).joined(separator: ", "))),
            ("requires", g.requires.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")),
            ("context", v.actual.map { String($0.contextId) } ?? "-"), ("init pid", v.actual?.initPid.map(String.init) ?? "-"),
            ("origin", g.origin ?? "-"),
            ("user ids", v.actual.map { $0.hostIDs.map { "host \($0)" } ?? "the host's (no user namespace)" } ?? "-"),
        ]
        for (k, val) in rows { print(k.padding(toLength: 10, withPad: " ", startingAt: 0) + val) }
    }
}

struct GuestListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List guests as the controller places them (`inventory` adds what hosts report).")
    @OptionGroup var options: ControllerOptions
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let guests = try fleet { () throws(FleetError) in try controller.store.guests() }
        let placements = Dictionary(uniqueKeysWithValues: try fleet { () throws(FleetError) in try controller.store.placements() }.map { ($0.guest, $0.host) })
        if format == .json {
            struct Row: Encodable { var guest: StoredGuest; var host: String? }
            return printJSON(guests.map { Row(guest: $0, host: placements[$0.name]) })
        }
        var t = Table(["NAME", "HOST", "DESIRED", "MEMORY", "CPUS", "GROUP", "TEMPLATE"])
        for g in guests {
            t.add([g.name, placements[g.name] ?? "-", g.desiredState.rawValue, ByteSize.format(g.memoryBytes),
                   String(Double(g.cpuMillis) / 1000), g.groupName ?? "-", g.template])
        }
        print(t.render())
    }
}

extension NetworkMode: ExpressibleByArgument {}
extension InitStyle: ExpressibleByArgument {}
