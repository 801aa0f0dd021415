import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct GuestDestroyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy",
        abstract: "Destroy a guest on its host and forget it.",
        discussion: "Refused while it runs unless --force. With --forget, an unreachable host is skipped and the guest only leaves the store (its copy there then shows as unknown).")
    @OptionGroup var options: ChangeOptions
    @Argument(help: "Guest name.") var name: String
    @Flag(help: "Kill it first if it runs.") var force = false
    @Flag(help: "Forget it even if its host cannot be reached.") var forget = false

    func run() throws {
        let controller = try options.controller()
        try fleet { () throws(FleetError) in try controller.destroyGuest(name, force: force, forget: forget) }
        print("destroyed guest \(name)")
    }
}
