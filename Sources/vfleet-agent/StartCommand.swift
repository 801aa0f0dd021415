import ArgumentParser
import FleetCLI
import FleetAgent
import FleetProtocol
import Foundation

struct StartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Boot a guest: its init as PID 1 of new namespaces, in its cgroup, under its capability bound.",
        discussion: "Init's output goes to the guest's console log (STATE/guests/NAME/console.log). With --wait the command stays until init ends and exits with init's status.")

    @OptionGroup var options: AgentOptions
    @Argument(help: "Guest name.") var name: String
    @Flag(help: "Wait until init ends; exit with its status.") var wait = false
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let agent = try options.agent()
        let outcome = try fleet { () throws(FleetError) in try agent.start(name) }
        for w in outcome.warnings { warn(w) }
        if wait {
            let status = try fleet { () throws(FleetError) in try agent.waitForInit(name, pid: outcome.initPid) }
            throw ExitCode(status)
        }
        if format == .json { return printJSON(GuestOperationResult(guest: outcome.status, warnings: outcome.warnings)) }
        print("started guest \(name) (init pid \(outcome.initPid))")
    }
}
