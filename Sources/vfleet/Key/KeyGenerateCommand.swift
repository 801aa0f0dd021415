import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct KeyGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Make the controller's ed25519 key (next to the database) and print the authorized_keys line for hosts.")
    @OptionGroup var options: ControllerOptions
    @Option(help: ArgumentHelp(AgentInstallPath.help)) var agent: String?

    func run() throws {
        let controller = try options.controller()
        let path = controller.settings.identityFile
        if FileManager.default.fileExists(atPath: path) { throw CLIError(.conflict("\(path) exists already (key show prints its line)")) }
        try fleet { () throws(FleetError) in try controller.generateKey() }
        print(try fleet { () throws(FleetError) in try controller.authorizedKeysLine(agentPath: AgentInstallPath.resolve(option: agent)) })
    }
}
