import ArgumentParser
import FleetCLI
import FleetAgent
import FleetProtocol
import Foundation

struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command inside a running guest.",
        discussion: "Same namespaces, cgroup, root and capability bound as the guest's init; stdin, stdout and stderr are this terminal's; the exit status is the command's. Example: vfleet-agent exec web1 -- ps -ef")

    @OptionGroup var options: AgentOptions
    @Argument(help: "Guest name.") var name: String
    @Option(name: .customLong("env"), help: "Extra NAME=VALUE (repeatable).") var env: [String] = []
    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.") var command: [String] = []

    func run() throws {
        let agent = try options.agent()
        let status = try fleet { () throws(FleetError) in try agent.execAttached(name, argv: command, env: env) }
        throw ExitCode(status)
    }
}

struct EnterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enter",
        abstract: "Open an interactive login shell inside a running guest (like `vserver NAME enter`).")

    @OptionGroup var options: AgentOptions
    @Argument(help: "Guest name.") var name: String

    func run() throws {
        let agent = try options.agent()
        let status = try fleet { () throws(FleetError) in try agent.enter(name) }
        throw ExitCode(status)
    }
}
