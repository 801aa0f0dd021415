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
        if format == .json {
            let events = try fleet { () throws(FleetError) in try controller.events(EventFilter(operation: id)) }
            struct View: Encodable { var operation: StoredOperation; var steps: [StoredOperationStep]; var events: [StoredEvent] }
            return printJSON(View(operation: op, steps: steps, events: events))
        }
        print("operation \(id): \(op.kind) of \(op.guest ?? "-"), \(op.state.rawValue) at step \(op.step), by \(op.owner)")
        print("params \(op.params)")
        if let r = op.reason { print("reason \(r)") }
        if let e = op.error { print("error \(e)") }
        let start = steps.first?.at ?? 0
        for s in steps {
            print(String(format: "  +%7.3f s  %-18@ %-8@ %@", s.at - start, s.step, s.state, s.detail ?? ""))
        }
        let events = try fleet { () throws(FleetError) in try controller.events(EventFilter(operation: id, limit: 5)) }
        for l in EventLines.pointer("vfleet events --operation \(id)", events) { print(l) }
    }
}
