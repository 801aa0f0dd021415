import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct NetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "net",
        abstract: "Address pools and the guests' addresses, fleet-wide.",
        discussion: """
        A guest created without --ip takes the lowest free address of a pool that serves its host. \
        The store gives an address to one guest at a time, fleet-wide; destroying the guest releases it, \
        and a moved guest keeps it (the destination answers for it, the source stops).
        """,
        subcommands: [NetPoolCommand.self, NetAddressesCommand.self])
}

struct NetPoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool", abstract: "Add, list and remove address pools.",
        subcommands: [NetPoolAddCommand.self, NetPoolListCommand.self, NetPoolRemoveCommand.self])
}

struct NetPoolAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a pool of addresses for guests.",
        discussion: "Every address of the network but its network and broadcast addresses, the gateway and the enrolled hosts' own addresses may be given. Pools may not overlap.")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Pool name.") var name: String
    @Argument(help: ArgumentHelp("The network, e.g. 10.40.0.0/24.", valueName: "CIDR")) var cidr: String
    @Option(help: ArgumentHelp("Only guests on these hosts take its addresses (comma-separated; default: every host). Hosts where the network is routed.", valueName: "H1,H2")) var hosts: String?
    @Option(help: ArgumentHelp("The gateway of private guests from this pool (never given to a guest).", valueName: "ADDRESS")) var gateway: String?
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let list = (hosts ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let pool = try fleet { () throws(FleetError) in try controller.addPool(name, cidr: cidr, hosts: list, gateway: gateway) }
        if format == .json { return printJSON(pool) }
        print("added address pool \(pool.name) \(pool.cidr)\(pool.hosts.isEmpty ? " for every host" : " for \(pool.hosts.joined(separator: ", "))")")
    }
}

struct NetPoolListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The pools, their hosts and how many addresses are given.")
    @OptionGroup var options: ControllerOptions
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let pools = try fleet { () throws(FleetError) in try controller.poolViews() }
        if format == .json { return printJSON(pools) }
        var t = Table(["NAME", "NETWORK", "HOSTS", "GATEWAY", "USED"])
        for p in pools { t.add([p.name, p.cidr, p.hosts.isEmpty ? "all" : p.hosts.joined(separator: ","), p.gateway ?? "-", "\(p.used)/\(p.size)"]) }
        print(t.render())
    }
}

struct NetPoolRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a pool none of whose addresses is given.")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Pool name.") var name: String

    func run() throws {
        let controller = try options.controller()
        try fleet { () throws(FleetError) in try controller.removePool(name) }
        print("removed address pool \(name)")
    }
}

struct NetAddressesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "addresses", abstract: "Every address given to a guest: guest, host, pool, network mode.")
    @OptionGroup var options: ControllerOptions
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let list = try fleet { () throws(FleetError) in try controller.addressViews() }
        if format == .json { return printJSON(list) }
        var t = Table(["ADDRESS", "GUEST", "HOST", "POOL", "NETWORK"])
        for a in list { t.add([a.address, a.guest, a.host ?? "-", a.pool ?? "-", a.network?.rawValue ?? "-"]) }
        print(t.render())
    }
}
