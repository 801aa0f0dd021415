import ArgumentParser
import FleetCLI

@main
struct Vfleet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vfleet",
        abstract: "Place, move and report Linux security contexts (guests) across many hosts.",
        discussion: """
        The controller: it keeps the desired placement in one SQLite file (--db, VFLEET_DB; default \
        /var/lib/vfleet-controller/fleet.db) and drives each host's vfleet-agent over SSH (libssh), \
        with host keys checked against its own known_hosts (next to the database unless --known-hosts).
        """,
        version: "0.1.0",
        subcommands: [
            HostCommand.self, TemplateCommand.self, GuestCommand.self, ApplyCommand.self, ReconcileCommand.self, RebalanceCommand.self, OpsCommand.self,
            InventoryCommand.self, EventsCommand.self, ServeCommand.self, NetCommand.self, ConnectionsCommand.self, ConfigCommand.self, DatabaseCommand.self, KeyCommand.self, DevClusterCommand.self,
        ])
}
