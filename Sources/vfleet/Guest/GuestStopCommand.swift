import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct GuestStopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop a guest (and record it as desired stopped).")
    @OptionGroup var options: ChangeOptions
    @Argument(help: "Guest name.") var name: String
    @Option(help: "Stop timeout, e.g. 10s.") var timeout: String = "10s"

    func run() throws {
        guard let t = DurationText.seconds(timeout) else { throw CLIError(.invalid("cannot read timeout \"\(timeout)\"")) }
        let controller = try options.controller()
        let r = try fleet { () throws(FleetError) in try controller.stopGuest(name, timeout: t) }
        print("guest \(name) stopped" + (r.guest?.stop.map { " (\($0.summary))" } ?? ""))
    }
}
