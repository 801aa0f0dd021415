import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct TemplateListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the controller's templates.")
    @OptionGroup var options: ControllerOptions
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let list = try fleet { () throws(FleetError) in try controller.templates() }
        if format == .json { return printJSON(list) }
        var t = Table(["NAME", "FILES", "SIZE", "DIGEST"])
        for x in list { t.add([x.name, String(x.fileCount), ByteSize.format(x.totalBytes), String(x.digest.prefix(16))]) }
        print(t.render())
    }
}
