import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct OpsShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One operation and each of its steps.")
    @OptionGroup var options: ControllerOptions
    @Argument(help: "Operation id.") var id: Int64
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() throws {
        let controller = try options.controller()
        let (op, steps) = try fleet { () throws(FleetError) in try controller.operation(id) }
        let transfers = try fleet { () throws(FleetError) in try controller.transfers(of: id) }
        if format == .json {
            let events = try fleet { () throws(FleetError) in try controller.events(EventFilter(operation: id)) }
            struct View: Encodable {
                var operation: StoredOperation; var steps: [StoredOperationStep]; var transfers: [StoredTransfer]; var events: [StoredEvent]
            }
            return printJSON(View(operation: op, steps: steps, transfers: transfers, events: events))
        }
        print("operation \(id): \(op.kind) of \(op.guest ?? "-"), \(op.state.rawValue) at step \(op.step), by \(op.owner)")
        print("params \(op.params)")
        if let r = op.reason { print("reason \(r)") }
        if let e = op.error { print("error \(e)") }
        let start = steps.first?.at ?? 0
        for s in steps {
            print(String(format: "  +%7.3f s  %-18@ %-8@ %@", s.at - start, s.step, s.state, s.detail ?? ""))
        }
        for l in Self.transferLines(transfers) { print(l) }
        let events = try fleet { () throws(FleetError) in try controller.events(EventFilter(operation: id, limit: 5)) }
        for l in EventLines.pointer("vfleet events --operation \(id)", events) { print(l) }
    }

    /// "sent precopy  200.0 MB direct", one line per copy step, then the total.
    static func transferLines(_ transfers: [StoredTransfer]) -> [String] {
        guard !transfers.isEmpty else { return [] }
        var lines = ["sent"]
        func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text + " " : text.padding(toLength: width, withPad: " ", startingAt: 0) }
        for t in transfers {
            var amount = ByteSize.format(UInt64(max(0, t.bytes)))
            if !t.ended, let total = t.totalBytes, total > 0 { amount += " of \(ByteSize.format(UInt64(total)))" }
            lines.append("  " + pad(t.step, 10) + pad(amount, 16) + pad(t.transport ?? "-", 8) + (t.ended ? "" : "(so far, running)"))
        }
        let sum = transfers.reduce(UInt64(0)) { $0 + UInt64(max(0, $1.bytes)) }
        lines.append("  " + pad("total", 10) + ByteSize.format(sum))
        return lines
    }
}
