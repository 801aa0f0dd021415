import ArgumentParser
import FleetCLI
import FleetAgent
import FleetProtocol
import Foundation

struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command inside a running guest.",
        discussion: """
        Same namespaces, cgroups, root, capability bound and seccomp filter as the guest's init; the exit status is \
        the command's. Your stdin, stdout and stderr are relayed through pipes (with -t, a pseudo-terminal of the \
        command's own when stdin is a terminal): no descriptor of the host's ever enters the guest. Ctrl-C, TERM and \
        HUP are passed on to the command. Example: vfleet-agent exec web1 -- ps -ef
        """)

    @OptionGroup var options: AgentOptions
    @Argument(help: "Guest name.") var name: String
    @Option(name: .customLong("env"), help: "Extra NAME=VALUE (repeatable).") var env: [String] = []
    @Flag(name: [.customShort("t"), .customLong("tty")], help: "Give the command a terminal of its own (when stdin is a terminal), e.g. for an editor.")
    var tty = false
    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.") var command: [String] = []

    func run() throws {
        let agent = try options.agent()
        let status = try fleet { () throws(FleetError) in try agent.execAttached(name, argv: command, env: env, terminal: tty) }
        throw ExitCode(status)
    }
}

struct EnterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enter",
        abstract: "Open an interactive login shell inside a running guest (like `vserver NAME enter`).",
        discussion: "The shell gets a pseudo-terminal of its own when stdin is a terminal (pipes otherwise); this terminal is relayed, never handed into the guest.")

    @OptionGroup var options: AgentOptions
    @Argument(help: "Guest name.") var name: String

    func run() throws {
        let agent = try options.agent()
        let status = try fleet { () throws(FleetError) in try agent.enter(name) }
        throw ExitCode(status)
    }
}
