import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct TemplatePushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Copy a template to hosts that lack its digest (streamed over SSH, verified there).")

    @OptionGroup var options: ChangeOptions
    @Argument(help: "Template name.") var name: String
    @Option(help: "One host.") var host: String?
    @Flag(help: "Every enrolled host.") var all = false

    func validate() throws {
        if (host == nil) == !all { throw ValidationError("give --host H or --all") }
    }

    func run() throws {
        let controller = try options.controller()
        let names: [String]
        if let host { names = [host] } else { names = try fleet { () throws(FleetError) in try controller.hosts().map(\.name) } }
        let results = try fleet { () throws(FleetError) in try controller.pushTemplate(name, to: names) }
        var failed = false
        for r in results {
            if let e = r.error {
                failed = true
                printError("\(r.host): \(e.message)")
            } else if r.sent {
                print("\(r.host): sent \(ByteSize.format(r.bytes)) in \(String(format: "%.2f", r.seconds)) s, digest verified")
            } else {
                print("\(r.host): has it already")
            }
        }
        if failed { throw ExitCode(1) }
    }
}
