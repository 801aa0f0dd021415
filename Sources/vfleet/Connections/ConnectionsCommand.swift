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
