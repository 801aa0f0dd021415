import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct HostAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Enrol a host: connect by SSH, check its host key, say hello to its agent, record its facts.",
        discussion: "An unknown host key is refused unless --accept-new-host-key; a changed key is always refused.")

    @OptionGroup var options: ChangeOptions
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
