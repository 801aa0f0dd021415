import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct HostCordonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cordon", abstract: "No new placements on a host; its guests stay.")
    @OptionGroup var options: ChangeOptions
    @Argument(help: "Host name.") var name: String

    func run() throws {
        let controller = try options.controller()
        _ = try fleet { () throws(FleetError) in try controller.setCordoned(name, true) }
        print("cordoned host \(name)")
    }
}
