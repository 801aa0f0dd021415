import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct TemplatePushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Copy a template to hosts that lack its digest (from a host that has it, or from the controller; verified there).",
        discussion: """
        A host that lacks the template gets it straight from another host whose agent has it with the same digest \
        (TLS pinned per transfer, authorized by the controller), or from the controller's archive over SSH when no \
        host has it, when no host can reach it (auto), or with --transport relay. Each line says which.
        """)

    @OptionGroup var options: ChangeOptions
    @Argument(help: "Template name.") var name: String
    @Option(help: "One host.") var host: String?
    @Flag(help: "Every enrolled host.") var all = false
    @OptionGroup var transport: MoveTransportOption

    func validate() throws {
        if (host == nil) == !all { throw ValidationError("give --host H or --all") }
    }

    func run() throws {
        let controller = try options.controller()
        let names: [String]
        if let host { names = [host] } else { names = try fleet { () throws(FleetError) in try controller.hosts().map(\.name) } }
        let results = try fleet { () throws(FleetError) in try controller.pushTemplate(name, to: names, transport: transport.transport) }
        var failed = false
        for r in results {
            if let e = r.error {
                failed = true
                printError("\(r.host): \(e.message)")
            } else if r.sent {
                print("\(r.host): sent \(ByteSize.format(r.bytes)) in \(String(format: "%.2f", r.seconds)) s, digest verified; \(r.transport ?? "relay")")
            } else {
                print("\(r.host): has it already")
            }
        }
        if failed { throw ExitCode(1) }
    }
}
