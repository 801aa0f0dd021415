import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct GuestMoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "move",
        abstract: "Cold-migrate a guest to another host (the scheduler's choice without --to).",
        discussion: """
        Pre-copies the guest's own layer while it runs, stops it, sends what changed, verifies every file's \
        digest at the destination, starts it there, and only then removes the source copy (--keep-source keeps \
        it, stopped, as a backup). The template is pushed first if the destination lacks it. Every step is \
        journaled: if anything dies, `vfleet ops resume` finishes or rolls back.
        """)
    @OptionGroup var options: ChangeOptions
    @OptionGroup var moveTransport: MoveTransportOption
    @Argument(help: "Guest name.") var name: String
    @Option(help: "Destination host.") var to: String?
    @Flag(name: .customLong("keep-source"), help: "Keep the source copy, stopped.") var keepSource = false
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        moveTransport.apply(to: controller)
        let printer = ProgressPrinter()
        let r = try fleet { () throws(FleetError) in try controller.moveGuest(name, to: to, keepSource: keepSource, progress: printer.callback()) }
        if format == .json { return printJSON(r) }
        var line = "moved guest \(r.guest) from \(r.source) to \(r.destination) in \(String(format: "%.2f", r.seconds)) s"
        line += ": \(ByteSize.format(r.precopyBytes)) pre-copied, \(ByteSize.format(r.deltaBytes)) after stop"
        if let d = r.downtimeSeconds { line += ", down \(String(format: "%.2f", d)) s" }
        if r.templateSent { line += ", template sent" }
        if let t = r.transports, !t.isEmpty { line += "; " + t.joined(separator: ", ") }
        print(line)
    }
}
