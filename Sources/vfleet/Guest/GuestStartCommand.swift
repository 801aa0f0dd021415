import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct GuestStartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start a guest (and record it as desired running).")
    @OptionGroup var options: ChangeOptions
    @Argument(help: "Guest name.") var name: String

    func run() throws {
        let controller = try options.controller()
        let r = try fleet { () throws(FleetError) in try controller.startGuest(name) }
        for w in r.warnings { printError("warning: \(w)") }
        print("guest \(name) running")
    }
}
