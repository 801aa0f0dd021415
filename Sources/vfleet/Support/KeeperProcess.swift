import FleetController
import FleetSystem
import Foundation

/// Starts `vfleet connections serve` detached, for the commands that come
/// after this one. Its settings travel in the environment.
enum KeeperProcess {
    static func start(database: String, settings: ControllerSettings) {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        // A keeper that cannot start only costs the next command its speed.
        try? DetachedProcess.spawn(["/usr/bin/env", "VFLEET_IDENTITY=\(settings.identityFile)", "VFLEET_SSH_PERSIST=\(settings.persistSeconds)",
                                    me, "connections", "serve", "--db", database, "--known-hosts", settings.knownHostsFile])
    }
}
