import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct DatabaseUpgradeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrade",
        abstract: "Run the store schema migrations this vfleet has and the replicated fleet lacks.",
        discussion: """
        A standalone store migrates itself when a newer vfleet opens it; a replicated fleet's schema is shared by \
        every controller, so a newer vfleet refuses it until this is run once. First upgrade vfleet on every \
        controller machine (an older vfleet stops at the upgrade, asking to be upgraded), then run this on one \
        of them: the migrations become one entry of the fleet's log in etcd, run here at once and by every other \
        replica when it reads that far. Running it again does nothing.
        """)
    @OptionGroup var options: ControllerOptions
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    struct Outcome: Encodable {
        let mode: String
        let migrations: [String]
    }

    func run() throws {
        let path = FleetStore.resolvePath(options.db)
        let done = try fleet { () throws(FleetError) in try Controller.upgradeStoreSchema(dbPath: path) }
        if format == .json { return printJSON(Outcome(mode: done.mode, migrations: done.migrations)) }
        if done.migrations.isEmpty {
            print("the \(done.mode) store's schema is up to date: nothing to run")
        } else {
            print("ran \(done.migrations.count) migration(s) on the \(done.mode) fleet's store: \(done.migrations.joined(separator: "; "))")
        }
    }
}
