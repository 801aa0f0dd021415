import ArgumentParser
import FleetCLI
import FleetAgent
import FleetProtocol
import Foundation

struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop a guest: its init's stop signal, then after --timeout every process left is killed.",
        discussion: "By init style: plain SIGTERM, sysv `telinit 0` run inside the guest (SIGPWR when it has no telinit), systemd SIGRTMIN+3; or the guest's --stop-signal. Says whether init shut down by itself or what was killed. Stopping a stopped guest does nothing.")

    @OptionGroup var options: AgentOptions
    @Argument(help: "Guest name.") var name: String
    @Option(help: "How long init may take before everything is killed, e.g. 10s, 500ms.") var timeout: String = "10s"
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let seconds = try parseTimeout(timeout)
        let agent = try options.agent()
        let status = try fleet { () throws(FleetError) in try agent.stop(name, timeout: seconds) }
        if format == .json { return printJSON(GuestOperationResult(guest: status)) }
        print("stopped guest \(name)" + (status.stop.map { " (\($0.summary))" } ?? ""))
    }
}

struct RestartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Stop a guest (if running) and start it again.")

    @OptionGroup var options: AgentOptions
    @Argument(help: "Guest name.") var name: String
    @Option(help: "Stop timeout, e.g. 10s.") var timeout: String = "10s"

    func run() throws {
        let seconds = try parseTimeout(timeout)
        let agent = try options.agent()
        let outcome = try fleet { () throws(FleetError) in try agent.restart(name, timeout: seconds) }
        for w in outcome.warnings { warn(w) }
        print("restarted guest \(name) (init pid \(outcome.initPid))")
    }
}

struct DestroyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy",
        abstract: "Remove a guest and its own layer (refused while it runs unless --force).")

    @OptionGroup var options: AgentOptions
    @Argument(help: "Guest name.") var name: String
    @Flag(help: "Kill it first if it runs.") var force = false

    func run() throws {
        let agent = try options.agent()
        try fleet { () throws(FleetError) in try agent.destroy(name, force: force) }
        print("destroyed guest \(name)")
    }
}

func parseTimeout(_ text: String) throws -> Double {
    guard let s = DurationText.seconds(text), s <= 3600 else {
        throw CLIError(.invalid("cannot read timeout \"\(text)\" (use e.g. 10s, 500ms, 2m; at most 1h)"))
    }
    return s
}
