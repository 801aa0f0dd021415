import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct HostReclaimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reclaim",
        abstract: "Delete the stale copies a failed host holds of guests failed over from it.",
        discussion: """
        For a host `vfleet host fail` declared dead that answers again: its copies of the guests a failover \
        placed elsewhere are stopped and destroyed there (fenced: each by an operation with a new token). \
        Guests still placed on the host (they had no replica) are kept: they are its only copies. \
        Replica directories the host keeps for other guests that the controller no longer points at \
        (`host fail` moved those replicas to other standbys) are deleted too. \
        With --dry-run, only says what it would delete. Then `vfleet host restore HOST` lets it take placements.
        """)
    @OptionGroup var options: ChangeOptions
    @Argument(help: "Host name.") var name: String
    @Flag(name: .customLong("dry-run"), help: "Say what would be deleted; delete nothing.") var dryRun = false
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let r = try fleet { () throws(FleetError) in try controller.reclaimHost(name, dryRun: dryRun) }
        if format == .json {
            printJSON(r)
        } else {
            print(r.items.isEmpty ? "host \(r.host) holds no stale copies" : "\(dryRun ? "would delete" : "stale copies") on host \(r.host):")
            for i in r.items {
                let state = dryRun ? (i.running ? "running, would be stopped and deleted" : "would be deleted")
                    : i.error.map { "not deleted: \($0)" } ?? "deleted"
                print("  \(i.guest) (runs on \(i.placedOn ?? "?")): \(state)")
            }
            for replica in r.replicas {
                let state = dryRun ? "would be deleted" : replica.error.map { "not deleted: \($0)" } ?? "deleted"
                print("  replica of \(replica.guest) (kept on \(replica.keptOn ?? "no host")): \(state)")
            }
            if !r.kept.isEmpty { print("kept (still placed on \(r.host)): \(r.kept.joined(separator: ", "))") }
            if !dryRun { print("next: `vfleet host restore \(r.host)` to take placements again") }
        }
        if r.items.contains(where: { $0.error != nil }) || r.replicas.contains(where: { $0.error != nil }) { throw ExitCode(1) }
    }
}
