import ArgumentParser
import FleetCLI
import FleetAgent
import Foundation

struct RPCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "Serve the agent protocol on stdin/stdout (newline-delimited JSON; see docs/PROTOCOL.md).",
        discussion: "This is the forced command of the controller's key: command=\"vfleet-agent rpc\" in authorized_keys.")

    @OptionGroup var options: AgentOptions

    func run() throws {
        let agent = try options.agent()
        // A sync killed while its guest was frozen: thawed before anything else.
        agent.thawAbandonedFreezes()
        RPCServer(agent: agent).serve()
    }
}

struct BootCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "boot",
        abstract: "Start every guest marked --autostart (run by vfleet-agent.service at boot).")

    @OptionGroup var options: AgentOptions

    func run() throws {
        let agent = try options.agent()
        agent.thawAbandonedFreezes()
        let outcome = agent.bootAutostart()
        for name in outcome.done { print("started guest \(name)") }
        for name in outcome.left { print("left guest \(name) to the controller (it is replicated: its standby may run it since a host fail)") }
        for (name, error) in outcome.failed { FileHandle.standardError.write(Data("cannot start guest \(name): \(error.message)\n".utf8)) }
        if !outcome.failed.isEmpty { throw ExitCode(1) }
    }
}

struct ShutdownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shutdown",
        abstract: "Stop every running guest cleanly (run by vfleet-agent.service at host shutdown).")

    @OptionGroup var options: AgentOptions
    @Option(help: "Stop timeout per guest, e.g. 30s.") var timeout: String = "30s"

    func run() throws {
        let seconds = try parseTimeout(timeout)
        let outcome = try options.agent().shutdownAll(timeout: seconds)
        for name in outcome.done { print("stopped guest \(name)") }
        for (name, error) in outcome.failed { FileHandle.standardError.write(Data("cannot stop guest \(name): \(error.message)\n".utf8)) }
        if !outcome.failed.isEmpty { throw ExitCode(1) }
    }
}
