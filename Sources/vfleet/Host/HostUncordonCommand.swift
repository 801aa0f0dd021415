import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct HostUncordonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "uncordon", abstract: "Let a host take placements again.")
    @OptionGroup var options: ChangeOptions
    @Argument(help: "Host name.") var name: String

    func run() throws {
        let controller = try options.controller()
        _ = try fleet { () throws(FleetError) in try controller.setCordoned(name, false) }
        print("uncordoned host \(name)")
    }
}
