import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct ConnectionsServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the keeper in the foreground (started by other commands; for debugging).", shouldDisplay: false)
    @OptionGroup var options: ControllerOptions

    func run() throws {
        let c = try options.controller(keeper: false)
        guard c.settings.persistSeconds > 0 else { throw CLIError(.invalid("ssh.persist is 0: no keeper wanted")) }
        let keeper = try fleet { () throws(FleetError) in try ConnectionKeeper(databasePath: c.databasePath, settings: c.settings) }
        try fleet { () throws(FleetError) in try keeper.serve() }
    }
}
