import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct HostShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one host as stored, and its guests.")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Host name.") var name: String
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let host = try fleet { () throws(FleetError) in try controller.host(name) }
        let guests = try fleet { () throws(FleetError) in try controller.guestNames(on: name) }
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
