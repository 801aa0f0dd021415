import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Controller settings (placement policy, defaults, timeouts).",
        discussion: ControllerSettings.keys.map { "  \($0.0): \($0.1)" }.joined(separator: "\n"),
        subcommands: [ConfigSetCommand.self, ConfigGetCommand.self])
}

struct ConfigSetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set", abstract: "Set a setting, e.g. `vfleet config set placement.policy binpack`.")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Key.") var key: String
    @Argument(help: "Value.") var value: String

    func run() throws {
        let controller = try options.controller()
        try fleet { () throws(FleetError) in try controller.setConfig(key, value) }
        print("\(key) = \(value)")
    }
}

struct ConfigGetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show settings (all, or one key).")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Key.") var key: String?

    func run() throws {
        let controller = try options.controller()
        let values = try fleet { () throws(FleetError) in try controller.config() }
        for (k, help) in ControllerSettings.keys where key == nil || key == k {
            print("\(k) = \(values[k] ?? "(default)")    # \(help)")
        }
        if let key, !ControllerSettings.keys.contains(where: { $0.0 == key }) { throw CLIError(.invalid("unknown config key \(key)")) }
    }
}

struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "db", abstract: "The controller's database.", subcommands: [DatabaseBackupCommand.self])
}

struct DatabaseBackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent copy of the store to FILE, also while other vfleet commands use it.",
        discussion: "Restore by stopping the controller's users and copying FILE over the database (see controller/README.md).")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Destination file (must not exist).") var file: String

    func run() throws {
        let controller = try options.controller()
        try fleet { () throws(FleetError) in try controller.store.backup(to: file) }
        print("backed up \(controller.store.path) to \(file)")
    }
}

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "key", abstract: "The controller's SSH key.", subcommands: [KeyGenerateCommand.self, KeyShowCommand.self])
}

struct KeyGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Make the controller's ed25519 key (next to the database) and print the authorized_keys line for hosts.")
    @OptionGroup var options: ControllerOptions
    @Option(help: "Path of vfleet-agent on the hosts (for the forced command).") var agent: String = "/usr/local/bin/vfleet-agent"

    func run() throws {
        let controller = try options.controller()
        let path = controller.settings.identityFile
        if FileManager.default.fileExists(atPath: path) { throw CLIError(.conflict("\(path) exists already (key show prints its line)")) }
        try fleet { () throws(FleetError) in try controller.generateKey() }
        print(try fleet { () throws(FleetError) in try controller.authorizedKeysLine(agentPath: agent) })
    }
}

struct KeyShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print the authorized_keys line for hosts (forced command, no pty, no forwarding).")
    @OptionGroup var options: ControllerOptions
    @Option(help: "Path of vfleet-agent on the hosts.") var agent: String = "/usr/local/bin/vfleet-agent"

    func run() throws {
        let controller = try options.controller()
        print(try fleet { () throws(FleetError) in try controller.authorizedKeysLine(agentPath: agent) })
    }
}
