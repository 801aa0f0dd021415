import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct ConnectionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connections",
        abstract: "The connection keeper: hosts' SSH sessions kept open between commands.",
        discussion: """
        Like OpenSSH's ControlPersist: the first command that calls a host starts a keeper in the \
        background; later commands send their agent calls through it (a Unix socket of mode 0600 next \
        to the store) and skip the SSH handshake, login and agent start per host. It ends after \
        `ssh.persist` (default 60s) without a call; `vfleet config set ssh.persist 0` (or \
        VFLEET_SSH_PERSIST=0) makes every command connect by itself. Template pushes and moves always \
        use sessions of their own.
        """,
        subcommands: [ConnectionsStatusCommand.self, ConnectionsStopCommand.self, ConnectionsServeCommand.self])
}

struct ConnectionsStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Whether a keeper runs for this store, its hosts and idle time.")
    @OptionGroup var options: ControllerOptions
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let c = try options.controller(keeper: false)
        let link = KeeperLink(socketPath: ConnectionKeeper.socketPath(database: c.store.path, settings: c.settings))
        guard let s = link.status() else {
            if format == .json { return print("null") }
            return print("no connection keeper runs for \(c.store.path) (ssh.persist \(c.settings.persistSeconds)s)")
        }
        if format == .json { return printJSON(s) }
        print("keeper pid \(s.pid), socket \(s.socket)")
        print("hosts connected: \(s.hosts.isEmpty ? "none" : s.hosts.joined(separator: ", "))")
        print("calls served: \(s.calls), idle \(String(format: "%.1f", s.idleSeconds))s of \(String(format: "%.0f", s.persistSeconds))s")
    }
}

struct ConnectionsStopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "End the keeper now (its sessions close).")
    @OptionGroup var options: ControllerOptions

    func run() throws {
        let c = try options.controller(keeper: false)
        let link = KeeperLink(socketPath: ConnectionKeeper.socketPath(database: c.store.path, settings: c.settings))
        print(link.stop() ? "connection keeper stopping" : "no connection keeper runs for \(c.store.path)")
    }
}

struct ConnectionsServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the keeper in the foreground (started by other commands; for debugging).", shouldDisplay: false)
    @OptionGroup var options: ControllerOptions

    func run() throws {
        let c = try options.controller(keeper: false)
        guard c.settings.persistSeconds > 0 else { throw CLIError(.invalid("ssh.persist is 0: no keeper wanted")) }
        let keeper = try fleet { () throws(FleetError) in try ConnectionKeeper(databasePath: c.store.path, settings: c.settings) }
        try fleet { () throws(FleetError) in try keeper.serve() }
    }
}
