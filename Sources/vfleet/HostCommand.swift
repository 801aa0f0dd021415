import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct HostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host",
        abstract: "Enrol, list, show, cordon and remove hosts.",
        subcommands: [HostAddCommand.self, HostListCommand.self, HostShowCommand.self, HostRemoveCommand.self,
                      HostCordonCommand.self, HostUncordonCommand.self, HostRefreshCommand.self, HostEvacuateCommand.self, HostRestoreCommand.self])
}

struct HostAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Enrol a host: connect by SSH, check its host key, say hello to its agent, record its facts.",
        discussion: "An unknown host key is refused unless --accept-new-host-key; a changed key is always refused.")

    @OptionGroup var options: ControllerOptions
    @Argument(help: "Host name ([a-z0-9][a-z0-9-]{0,62}).") var name: String
    @Option(help: "ADDR or ADDR:PORT of its sshd.") var address: String
    @Option(help: "SSH user.") var user: String = "root"
    @Option(help: "The controller's private key (default: id_ed25519 next to the database).") var identity: String?
    @Option(name: .customLong("label"), help: "A label KEY=VALUE (repeatable), for --require.") var labels: [String] = []
    @Option(name: .customLong("reserve-memory"), help: "Memory kept for the host itself, e.g. 1G.") var reserveMemory: String?
    @Flag(name: .customLong("accept-new-host-key"), help: "Trust the host's key if it is not yet known.") var acceptNewHostKey = false
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        var r = Controller.HostRequest(name: name, address: address)
        r.user = user
        r.identity = identity
        r.labels = try keyValues(labels, option: "--label")
        r.acceptNewHostKey = acceptNewHostKey
        if let reserveMemory {
            guard let b = ByteSize.parse(reserveMemory) else { throw CLIError(.invalid("cannot read --reserve-memory \"\(reserveMemory)\"")) }
            r.reservedMemoryBytes = b
        }
        let host = try fleet { () throws(FleetError) in try controller.addHost(r) }
        if format == .json { return printJSON(host) }
        let f = host.facts
        print("enrolled host \(host.name) (\(host.address):\(host.port)): kernel \(f?.kernel ?? "?"), cgroups \(f?.cgroupMode ?? "?"), \(f?.cpus ?? 0) cpus, \(ByteSize.format(f?.memoryBytes ?? 0)) memory")
        print("host key \(host.hostKeyFingerprint)")
    }
}

struct HostListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List enrolled hosts (from the store; `inventory` asks them).")
    @OptionGroup var options: ControllerOptions
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let hosts = try fleet { () throws(FleetError) in try controller.store.hosts() }
        if format == .json { return printJSON(hosts) }
        let placements = try fleet { () throws(FleetError) in try controller.store.placements() }
        var t = Table(["NAME", "ADDRESS", "STATE", "CPUS", "MEMORY", "GUESTS", "LABELS"])
        for h in hosts {
            let state = h.cordoned ? "\(h.state.rawValue),cordoned" : h.state.rawValue
            t.add([h.name, "\(h.address):\(h.port)", state, String(h.facts?.cpus ?? 0), ByteSize.format(h.facts?.memoryBytes ?? 0),
                   String(placements.filter { $0.host == h.name }.count),
                   h.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")])
        }
        print(t.render())
    }
}

struct HostShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one host as stored, and its guests.")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Host name.") var name: String
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let host = try fleet { () throws(FleetError) in try controller.store.host(name) }
        let guests = try fleet { () throws(FleetError) in try controller.store.placements().filter { $0.host == name }.map(\.guest).sorted() }
        if format == .json {
            struct View: Encodable { var host: StoredHost; var guests: [String] }
            return printJSON(View(host: host, guests: guests))
        }
        let f = host.facts
        let rows: [(String, String)] = [
            ("name", host.name), ("address", "\(host.address):\(host.port)"), ("user", host.user),
            ("state", host.state.rawValue + (host.cordoned ? ", cordoned" : "")), ("kernel", f?.kernel ?? "?"),
            ("cgroups", f?.cgroupMode ?? "?"), ("cpus", String(f?.cpus ?? 0)), ("memory", ByteSize.format(f?.memoryBytes ?? 0)),
            ("reserved", ByteSize.format(host.reservedMemoryBytes)), ("free disk", ByteSize.format(f?.freeDiskBytes ?? 0)),
            ("labels", host.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")),
            ("host key", host.hostKeyFingerprint), ("templates", f?.templates.map(\.name).joined(separator: ", ") ?? ""),
            ("guests", guests.joined(separator: ", ")),
        ]
        for (k, v) in rows { print(k.padding(toLength: 11, withPad: " ", startingAt: 0) + v) }
    }
}

struct HostRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Forget a host (refused while guests are placed there).")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Host name.") var name: String

    func run() throws {
        let controller = try options.controller()
        try fleet { () throws(FleetError) in try controller.removeHost(name) }
        print("removed host \(name)")
    }
}

struct HostCordonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cordon", abstract: "No new placements on a host; its guests stay.")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Host name.") var name: String

    func run() throws {
        let controller = try options.controller()
        _ = try fleet { () throws(FleetError) in try controller.setCordoned(name, true) }
        print("cordoned host \(name)")
    }
}

struct HostUncordonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "uncordon", abstract: "Let a host take placements again.")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Host name.") var name: String

    func run() throws {
        let controller = try options.controller()
        _ = try fleet { () throws(FleetError) in try controller.setCordoned(name, false) }
        print("uncordoned host \(name)")
    }
}

struct HostRefreshCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "refresh", abstract: "Ask a host's agent again and store its facts.")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Host name.") var name: String

    func run() throws {
        let controller = try options.controller()
        let h = try fleet { () throws(FleetError) in try controller.refreshHost(name) }
        print("refreshed host \(h.name): \(h.facts?.guests.count ?? 0) guests, \(ByteSize.format(h.facts?.freeDiskBytes ?? 0)) free disk")
    }
}
