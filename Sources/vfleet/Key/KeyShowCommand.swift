import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct KeyShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print the authorized_keys line for hosts (forced command, no pty, no forwarding).")
    @OptionGroup var options: ControllerOptions
    @Option(help: ArgumentHelp(AgentInstallPath.help)) var agent: String?

    func run() throws {
        let controller = try options.controller()
        print(try fleet { () throws(FleetError) in try controller.authorizedKeysLine(agentPath: AgentInstallPath.resolve(option: agent)) })
    }
}
