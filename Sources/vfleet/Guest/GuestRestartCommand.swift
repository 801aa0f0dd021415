import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct GuestRestartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Stop and start a guest.")
    @OptionGroup var options: ChangeOptions
    @Argument(help: "Guest name.") var name: String
    @Option(help: "Stop timeout, e.g. 10s.") var timeout: String = "10s"

    func run() throws {
        guard let t = DurationText.seconds(timeout) else { throw CLIError(.invalid("cannot read timeout \"\(timeout)\"")) }
        let controller = try options.controller()
        _ = try fleet { () throws(FleetError) in try controller.restartGuest(name, timeout: t) }
        print("guest \(name) restarted")
    }
}
