import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct TemplateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template",
        abstract: "Store templates at the controller and push them to hosts.",
        subcommands: [TemplateAddCommand.self, TemplatePushCommand.self, TemplateListCommand.self])
}
