import ArgumentParser
import FleetCLI
import FleetController
import FleetProtocol
import Foundation

struct InventoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Report the whole fleet: hosts (reachable, capacity, allocated, used) and guests (desired, actual, usage), drift marked.",
        discussion: "Hosts are asked in parallel (config hosts.parallel); an unreachable host is shown with the reason and does not stop the report.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv, yaml }

    @OptionGroup var options: ControllerOptions
    @Option(help: "table, json, csv or yaml.") var format: Format = .table
    @Option(help: "Also write a self-contained HTML report to this file.") var html: String?

    func run() throws {
        let controller = try options.controller()
        let report = try fleet { () throws(FleetError) in try controller.inventory() }
        switch format {
        case .table: print(InventoryRenderer.table(report))
        case .json: print(try InventoryRenderer.json(report))
        case .csv: print(InventoryRenderer.csv(report), terminator: "")
        case .yaml: print(try InventoryRenderer.yaml(report))
        }
        if let html {
            do { try InventoryRenderer.html(report).write(toFile: html, atomically: true, encoding: .utf8) } catch {
                throw CLIError(.failed("cannot write \(html): \(error.localizedDescription)"))
            }
            if format == .table { print("HTML report: \(html)") }
        }
    }
}
