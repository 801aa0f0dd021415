import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct DatabaseMigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Load the standalone store into etcd: the fleet becomes replicated.",
        discussion: """
        Reads the etcd settings from the environment (VFLEET_ETCD_ENDPOINTS, VFLEET_ETCD_CA/CERT/KEY, \
        VFLEET_STORE_PREFIX; see docs/guide/replicated-store.md). The store (--db) becomes the fleet's first snapshot \
        in etcd and this controller's replica of it; from then on run vfleet with VFLEET_STORE=replicated. Refused when \
        etcd already holds a fleet under the prefix. Stop vfleet serve and other vfleet commands on this store first. \
        Back to standalone: `vfleet db backup FILE` in replicated mode writes a standalone store.
        """)
    @OptionGroup var options: ControllerOptions
    @Option(help: "The mode to move to: replicated.") var to: String
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        guard to == "replicated" else {
            throw CLIError(.invalid("--to \(to): only replicated is a target (back to standalone: `vfleet db backup FILE` in replicated mode, then --db FILE)"))
        }
        let path = FleetStore.resolvePath(options.db)
        let loaded = try fleet { () throws(FleetError) in try Controller.loadStoreIntoEtcd(dbPath: path) }
        if format == .json { return printJSON(loaded) }
        print("loaded \(path) into etcd as fleet \(loaded.fleet) under \(loaded.prefix) (snapshot of \(loaded.snapshotBytes) bytes)")
        print("\(path) is now this controller's replica: run vfleet with VFLEET_STORE=replicated")
    }
}
