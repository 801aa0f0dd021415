import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

/// Options every controller command shares.
struct ControllerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The controller's database (default: $VFLEET_DB or /var/lib/vfleet-controller/fleet.db).", valueName: "file"))
    var db: String?

    @Option(name: .customLong("known-hosts"), help: ArgumentHelp("Host keys the controller trusts (default: known_hosts next to the database).", valueName: "file"))
    var knownHosts: String?

    /// The controller, calling its hosts through the connection keeper
    /// when `ssh.persist` is above 0 (starting one for the next command when
    /// none answers). `reason`: the `--reason` of a change (ChangeOptions).
    func controller(keeper useKeeper: Bool = true, reason: String? = nil) throws -> Controller {
        ProcessSetup.commandLine()
        let path = FleetStore.resolvePath(db)
        let c: Controller
        do { c = try Controller(dbPath: path, knownHosts: knownHosts, reason: reason) } catch { throw CLIError(error) }
        // Replicated mode: a read answered while etcd cannot be asked may be stale.
        c.onStoreWarning { printError($0) }
        if useKeeper && c.settings.persistSeconds > 0 {
            let link = KeeperLink(socketPath: c.keeperSocketPath)
            if link.isServing {
                c.keeper.keeper = link
            } else {
                let settings = c.settings
                c.keeper.startKeeper = { KeeperProcess.start(database: path, settings: settings) }
            }
        }
        return c
    }
}

extension OutputFormat: ExpressibleByArgument {}
