import ArgumentParser
import FleetCLI

@main
struct VfleetAgent: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vfleet-agent",
        abstract: "Run Linux security contexts (guests) on this host.",
        discussion: """
        The host side of vfleet, in the tradition of Linux-VServer's `vserver NAME start/enter/stop`, \
        on a stock mainline kernel: each guest is an init in new pid, mount, uts and ipc namespaces, \
        in a cgroup of its own, with a reduced capability bound, on an overlay of a template.

        State lives under --root (or VFLEET_AGENT_ROOT; default /var/lib/vfleet). Run as root.
        The controller drives this program through `vfleet-agent rpc` over SSH.
        """,
        version: "0.1.0",
        subcommands: [
            CheckCommand.self, TemplateCommand.self, CreateCommand.self, StartCommand.self, StopCommand.self,
            RestartCommand.self, DestroyCommand.self, ExecCommand.self, EnterCommand.self, ListCommand.self,
            StatusCommand.self, RPCCommand.self, BootCommand.self, ShutdownCommand.self,
        ])
}
