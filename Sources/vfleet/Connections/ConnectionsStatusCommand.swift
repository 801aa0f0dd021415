import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct ConnectionsStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Whether a keeper runs for this store, its hosts and idle time.")
    @OptionGroup var options: ControllerOptions
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let c = try options.controller(keeper: false)
        let link = KeeperLink(socketPath: c.keeperSocketPath)
        guard let s = link.status() else {
            if format == .json { return print("null") }
            return print("no connection keeper runs for \(c.databasePath) (ssh.persist \(c.settings.persistSeconds)s)")
        }
        if format == .json { return printJSON(s) }
        print("keeper pid \(s.pid), socket \(s.socket)")
        print("hosts connected: \(s.hosts.isEmpty ? "none" : s.hosts.joined(separator: ", "))")
        print("calls served: \(s.calls), idle \(String(format: "%.1f", s.idleSeconds))s of \(String(format: "%.0f", s.persistSeconds))s")
    }
}
