import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct ConnectionsStopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "End the keeper now (its sessions close).")
    @OptionGroup var options: ControllerOptions

    func run() throws {
        let c = try options.controller(keeper: false)
        let link = KeeperLink(socketPath: c.keeperSocketPath)
        print(link.stop() ? "connection keeper stopping" : "no connection keeper runs for \(c.databasePath)")
    }
}
