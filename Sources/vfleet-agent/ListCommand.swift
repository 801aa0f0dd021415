import ArgumentParser
import FleetCLI
import FleetAgent
import FleetProtocol
import Foundation

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List guests with their state and usage, like vserver-stat.")

    @OptionGroup var options: AgentOptions
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let list = try options.agent().list()
        if format == .json { return printJSON(list) }
        var t = Table(["NAME", "STATE", "CTX", "INIT", "PROCS", "MEMORY", "CPU", "UPTIME", "TEMPLATE"])
        for s in list {
            t.add([s.name, s.state.rawValue, String(s.contextId), s.initPid.map(String.init) ?? "-", String(s.processes),
                   s.memoryBytes.map(ByteSize.format) ?? "-", s.cpuSeconds.map(Show.seconds) ?? "-",
                   s.uptimeSeconds.map(Show.duration) ?? "-", s.template])
        }
        print(t.render())
    }
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show one guest: state, context, usage and limits.")

    @OptionGroup var options: AgentOptions
    @Argument(help: "Guest name.") var name: String
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let agent = try options.agent()
        let s = try fleet { () throws(FleetError) in try agent.status(name) }
        if format == .json { return printJSON(s) }
        let l = s.limits
        let rows: [(String, String)] = [
            ("name", s.name), ("state", s.state.rawValue), ("context", String(s.contextId)),
            ("init pid", s.initPid.map(String.init) ?? "-"), ("processes", String(s.processes)),
            ("memory", s.memoryBytes.map(ByteSize.format) ?? "-"), ("cpu", s.cpuSeconds.map(Show.seconds) ?? "-"),
            ("uptime", s.uptimeSeconds.map(Show.duration) ?? "-"), ("template", s.template),
            ("memory limit", l.memoryBytes.map(ByteSize.format) ?? "none"),
            ("cpu limit", l.cpuMillis.map { String(Double($0) / 1000) } ?? "none"),
            ("cpu weight", l.cpuWeight.map(String.init) ?? "default"),
            ("pids limit", l.pids.map(String.init) ?? "none"),
            ("io weight", l.ioWeight.map(String.init) ?? "default"),
            ("disk limit", l.diskBytes.map(ByteSize.format) ?? "none"),
            ("network", s.network.rawValue + ((s.addresses ?? []).isEmpty ? "" : " " + (s.addresses ?? []).joined(separator: ", "))), ("autostart", s.autostart ? "yes" : "no"),
            ("capabilities", s.capabilities.joined(separator: " ")),
            ("user ids", s.hostIDs.map { "0-65535 are host ids \($0)" } ?? "the host's (no user namespace)"),
        ]
        for (k, v) in rows { print(k.padding(toLength: 14, withPad: " ", startingAt: 0) + v) }
    }
}

enum Show {
    static func seconds(_ s: Double) -> String { String(format: "%.2fs", s) }

    static func duration(_ s: Double) -> String {
        let t = Int(s)
        if t < 60 { return "\(t)s" }
        if t < 3600 { return "\(t / 60)m\(t % 60)s" }
        if t < 86400 { return "\(t / 3600)h\(t % 3600 / 60)m" }
        return "\(t / 86400)d\(t % 86400 / 3600)h"
    }
}
